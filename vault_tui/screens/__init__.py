"""Screens: the browser, the lease dashboard, the transit playground, sign-in, and modals."""
