"""Find a secret by any fragment of its path: a Textual-free search engine.

* :class:`PathStore` holds the full paths of one mount: one sorted list of strings, nothing per
  path. A write adds a path, a delete removes it, a re-index of one folder replaces that
  subtree. Searching builds (once per change) a lowered copy of the paths as one string, so
  every pass below runs in C (``str.count``, ``str.find``, compiled regular expressions).
* :class:`Finder` keeps one store per (profile, namespace, mount) and searches one mount, a
  subtree of it, or several mounts at once.
* Ranking: an exact segment (``db`` in ``team/db/x``) > the prefix of a segment (``pay`` in
  ``payments/x``) > a substring > a fuzzy match (the characters in order, gaps allowed). Within
  a rank a match in the last segment (the secret's own name) comes first, then path order.
  Each match carries the positions of the matched characters, for highlighting.
* Speed: each keystroke stops as soon as ``limit`` results are found in rank order; fuzzy
  candidates are narrowed incrementally (typing one more character only searches the paths
  that matched before), and recent answers are cached, so backspace is instant.
* :class:`TreeFilter` / :func:`keep_set`: the tree filter's "which loaded nodes stay": paths
  whose full path contains the query (case-insensitive), plus their ancestors — the semantics
  of ``PathIndex.matches`` — computed with the same narrowing.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress, islice, repeat
from operator import contains, eq

StoreKey = tuple[str, str, str]  # (profile, namespace, mount)

EXACT, PREFIX, SUBSTRING, FUZZY = 0, 1, 2, 3
TIER_NAMES = {EXACT: "exact segment", PREFIX: "segment prefix", SUBSTRING: "substring", FUZZY: "fuzzy"}
DEFAULT_LIMIT = 200

_SMALL = 1000  # up to this many occurrences, every one is classified (exact ranking)
_CACHE = 48  # answers and fuzzy candidate sets kept per store
_NARROW_MAX = 20_000  # a fuzzy candidate set is kept for narrowing only up to this size
_END = "\U0010ffff"


def _lower_all(paths: Sequence[str]) -> list[str]:
    """Lowercase each path without changing its length (so positions map back), no newlines."""
    lowered = [p.lower() for p in paths]
    if sum(map(len, lowered)) != sum(map(len, paths)):
        lowered = [_lower_one(p) if len(low) != len(p) else low for p, low in zip(paths, lowered, strict=True)]
    if any(map(contains, lowered, repeat("\n"))):
        lowered = [low.replace("\n", " ") for low in lowered]
    return lowered


def _lower_one(path: str) -> str:
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in path)


def normalize_query(query: str) -> str:
    """What is searched for: lowercased, without newlines; surrounding spaces kept out."""
    return _lower_one(query.strip().replace("\n", " "))


class _Text:
    """A lowered copy of ``count`` paths as one string: ``"\\n/" + path`` per line, then ``"\\n"``.

    Line ``i`` starts at ``starts[i]`` (its ``"\\n"``); its text is
    ``blob[starts[i] + 2 : starts[i + 1]]``. Segment starts are always preceded by ``/`` and
    segment ends followed by ``/`` or ``\\n``, so exact-segment and prefix tests are literal
    searches.
    """

    __slots__ = ("blob", "starts", "count", "ids", "_segments")

    def __init__(self, lowered: list[str], ids: array | None = None) -> None:
        self.count = len(lowered)
        self.blob = ("\n/" + "\n/".join(lowered) + "\n") if lowered else "\n"
        self.starts = array("l", [0])
        self.starts.extend(accumulate(len(low) + 2 for low in lowered))
        self.ids = ids  # for a narrowed text: the line numbers in the full text
        self._segments: tuple[list[str], list[str]] | None = None

    def segments(self) -> tuple[list[str], list[str]]:
        """The distinct (last segments, folder segments), sorted: lets a pass that can find
        nothing be skipped. Built on first use, a slice of the text at a time."""
        if self._segments is None:
            last: set[str] = set()
            folders: set[str] = set()
            blob = self.blob
            step = 1 << 18
            start = 0
            while start < len(blob) - 1:
                end = blob.find("\n", min(start + step, len(blob) - 1))  # a line's end
                pieces = set(blob[start : end + 1].split("/"))  # whole lines, each "\n/..." to "\n"
                for piece in pieces:
                    if piece.endswith("\n"):
                        last.add(piece[:-1])
                    elif piece.startswith("\n"):
                        continue
                    else:
                        folders.add(piece)
                start = end
            self._segments = (sorted(last), sorted(folders))
        return self._segments

    def line_of(self, pos: int) -> int:
        return bisect_right(self.starts, pos) - 1

    def line(self, index: int) -> str:
        return self.blob[self.starts[index] + 2 : self.starts[index + 1]]

    def subset(self, lines: Sequence[int]) -> _Text:
        """A text of some of these lines (their numbers are kept in ``ids``)."""
        blob, starts = self.blob, self.starts
        lowered = [blob[starts[i] + 2 : starts[i + 1]] for i in lines]
        base = self.ids
        ids = array("l", lines) if base is None else array("l", (base[i] for i in lines))
        return _Text(lowered, ids)


@dataclass(frozen=True)
class Match:
    """One result. ``positions`` index into ``path`` (the path inside ``mount``)."""

    mount: str
    path: str
    tier: int
    positions: tuple[int, ...]

    @property
    def full_path(self) -> str:
        return f"{self.mount}/{self.path}" if self.mount else self.path

    @property
    def tier_name(self) -> str:
        return TIER_NAMES[self.tier]

    def spans(self, offset: int = 0) -> tuple[tuple[int, int], ...]:
        """Runs of matched characters as (start, end) pairs, shifted by ``offset``."""
        return spans(self.positions, offset)


def spans(positions: Iterable[int], offset: int = 0) -> tuple[tuple[int, int], ...]:
    runs: list[tuple[int, int]] = []
    for pos in positions:
        if runs and runs[-1][1] == pos + offset:
            runs[-1] = (runs[-1][0], pos + offset + 1)
        else:
            runs.append((pos + offset, pos + offset + 1))
    return tuple(runs)


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]
    more: bool  # there may be more matches than ``limit``: ``matches`` is the best ``limit``

    def __len__(self) -> int:
        return len(self.matches)


# A ranked hit inside one text: (tier, 0 if in the last segment else 1, line, start in line).
_Hit = tuple[int, int, int, int]


def _fuzzy_chars(query: str) -> str:
    """The characters a fuzzy match looks for: spaces separate words ("prod db"), as in fzf."""
    return "".join(query.split()) or query


def _fuzzy_pattern(query: str) -> re.Pattern[str]:
    """The query's characters in order within one line. Not anchored at the line start: the
    search jumps to each occurrence of the first character (fast when it is rare); from there
    possessive runs make the rest linear."""
    query = _fuzzy_chars(query)
    parts = [f"[^{re.escape(ch)}\n]*+{re.escape(ch)}" for ch in query[1:]]
    return re.compile(_not_artificial(query) + re.escape(query[0]) + "".join(parts))


def _not_artificial(query: str) -> str:
    """A query starting with "/" must not match the "/" put before every line."""
    return "(?<!\n)" if query.startswith("/") else ""


def _fuzzy_positions(line: str, query: str) -> tuple[int, ...]:
    """Matched positions of a fuzzy match: the earliest end, then the latest start (compact)."""
    query = _fuzzy_chars(query)
    pos = -1
    for ch in query:
        pos = line.find(ch, pos + 1)
        if pos < 0:
            return ()
    found: list[int] = []
    end = pos + 1
    for ch in reversed(query):
        end = line.rfind(ch, 0, end)
        found.append(end)
    found.reverse()
    return tuple(found)


def _has(names: list[str], q: str, *, exact: bool) -> bool:
    i = bisect_left(names, q)
    if i >= len(names):
        return False
    return names[i] == q if exact else names[i].startswith(q)


class _Searcher:
    """Ranked search over one :class:`_Text` (a mount or a subtree), with its caches."""

    def __init__(self, text: _Text) -> None:
        self.text = text
        self.answers: OrderedDict[tuple[str, int], tuple[list[_Hit], bool]] = OrderedDict()
        self.fuzzy_sets: OrderedDict[str, _Text] = OrderedDict()

    def search(self, query: str, limit: int) -> tuple[list[_Hit], bool]:
        key = (query, limit)
        cached = self.answers.get(key)
        if cached is not None:
            self.answers.move_to_end(key)
            return cached
        answer = self._search(query, limit)
        self.answers[key] = answer
        if len(self.answers) > _CACHE:
            self.answers.popitem(last=False)
        return answer

    # -- the passes -------------------------------------------------------------------------
    def _search(self, q: str, limit: int) -> tuple[list[_Hit], bool]:
        text = self.text
        if not q or not text.count or limit <= 0:
            return [], False
        narrowed = self._narrowed(q)
        if narrowed is not None and narrowed.count == 0:
            return [], False
        hits: list[_Hit] = []
        seen: set[int] = set()
        complete = True  # every substring match was collected
        if narrowed is not None:
            # Few candidates: classify every occurrence in the narrowed text.
            ids = narrowed.ids
            every = self._classify(narrowed, q, None) or []
            hits = every if ids is None else [(t, last, int(ids[line]), at) for t, last, line, at in every]
            seen = {h[2] for h in hits}
        else:
            found = self._classify(text, q, _SMALL)
            if found is None:  # many occurrences: rank by passes that stop early
                complete = self._tiers(q, limit, hits, seen)
            else:
                hits = found
                seen = {h[2] for h in hits}
        hits.sort()
        more = len(hits) > limit or not complete
        if len(hits) > limit or not complete:
            return hits[:limit], more
        if len(hits) == limit:
            return hits, True  # exactly full: there may be fuzzy matches beyond (not worth a pass to know)
        fuzzy, fuzzy_more = self._fuzzy(q, limit - len(hits), seen, narrowed)
        hits.extend(fuzzy)
        return hits, more or fuzzy_more

    def _classify(self, text: _Text, q: str, cap: int | None) -> list[_Hit] | None:
        """Every occurrence of ``q``, the best one per line; None past ``cap`` occurrences."""
        blob, starts = text.blob, text.starts
        size = len(q)
        best: dict[int, _Hit] = {}
        pos = blob.find(q)
        seen = 0
        while pos >= 0:
            seen += 1
            if cap is not None and seen > cap:
                return None
            line = bisect_right(starts, pos) - 1
            line_start = starts[line] + 2
            if pos >= line_start:  # not the artificial "\n/" before a line
                end = pos + size
                seg_start = blob[pos - 1] == "/"
                seg_end = blob[end] in "/\n" if end < len(blob) else True
                tier = EXACT if seg_start and seg_end else PREFIX if seg_start else SUBSTRING
                line_end = starts[line + 1]
                last = 0 if blob.find("/", end, line_end) < 0 else 1
                hit = (tier, last, line, pos - line_start)
                old = best.get(line)
                if old is None or hit < old:
                    best[line] = hit
            pos = blob.find(q, pos + 1)
        return list(best.values())

    def _tiers(self, q: str, limit: int, hits: list[_Hit], seen: set[int]) -> bool:
        """Many occurrences: one pass per rank, in rank order, each stopping at ``limit``.

        Returns True when every substring match was collected."""
        text = self.text
        blob, starts = text.blob, text.starts
        e = re.escape(q)
        passes = [
            (EXACT, 0, "/" + e + "\n", 1),
            (EXACT, 1, "/" + e + "/", 1),
            (PREFIX, 0, "/" + e + "[^/\n]*\n", 1),
            (PREFIX, 1, "/" + e, 1),
            (SUBSTRING, 0, _not_artificial(q) + e + "[^/\n]*\n", 0),
            (SUBSTRING, 1, _not_artificial(q) + e, 0),
        ]
        # Skip the segment passes that cannot match (no such segment in the text).
        last, folders = text.segments()
        *inner, tail = q.split("/")
        if inner:  # "a/b/c": "a" and "b" must be whole folder names for a segment match
            whole = all(_has(folders, part, exact=True) for part in inner)
            exists = (
                whole and _has(last, tail, exact=True),
                whole and _has(folders, tail, exact=True),
                whole and _has(last, tail, exact=False),
                whole and (_has(last, tail, exact=False) or _has(folders, tail, exact=False)),
            )
        else:
            exists = (
                _has(last, q, exact=True),
                _has(folders, q, exact=True),
                _has(last, q, exact=False),
                _has(last, q, exact=False) or _has(folders, q, exact=False),
            )
        passes = [p for i, p in enumerate(passes) if i >= len(exists) or exists[i]]
        for tier, last_flag, source, skip in passes:
            pattern = re.compile(source)
            for match in pattern.finditer(blob):
                pos = match.start() + skip
                line = bisect_right(starts, pos) - 1
                if line in seen or pos < starts[line] + 2:
                    continue
                seen.add(line)
                hits.append((tier, last_flag, line, pos - starts[line] - 2))
                if len(hits) >= limit:
                    return False
        return True

    def _narrowed(self, q: str) -> _Text | None:
        """The fuzzy matches of the longest cached prefix of ``q`` (every match of ``q`` is in it)."""
        for cut in range(len(q), 0, -1):
            found = self.fuzzy_sets.get(q[:cut])
            if found is not None:
                self.fuzzy_sets.move_to_end(q[:cut])
                return found
        return None

    def _fuzzy(self, q: str, want: int, seen: set[int], narrowed: _Text | None) -> tuple[list[_Hit], bool]:
        """Up to ``want`` fuzzy matches not in ``seen``; caches the full candidate set when known."""
        source = narrowed if narrowed is not None else self.text
        pattern = _fuzzy_pattern(q)
        starts = source.starts
        lines: list[int] = []
        found: list[_Hit] = []
        more = False
        ids = source.ids
        previous = -1
        for match in pattern.finditer(source.blob):
            line = bisect_right(starts, match.start()) - 1
            if line == previous or match.start() < starts[line] + 2:
                continue  # a second match in the same line, or one on the artificial "/"
            previous = line
            lines.append(line)
            number = int(ids[line]) if ids is not None else line
            if number in seen:
                continue
            if len(found) >= want:
                more = True
                if narrowed is None:
                    return found, more  # stop early: the full candidate set stays unknown
                continue
            found.append((FUZZY, 1, number, -1))
        if len(lines) <= _NARROW_MAX or narrowed is not None:
            self.fuzzy_sets[q] = source if len(lines) == source.count else source.subset(lines)
        if len(self.fuzzy_sets) > _CACHE:
            self.fuzzy_sets.popitem(last=False)
        return found, more


class PathStore:
    """The paths of one mount (relative to it), sorted, with a cached search text.

    Adding many paths (an index streaming in) is cheap: they are sorted into place lazily,
    at the next read.
    """

    __slots__ = ("_paths", "_tail", "version", "_searchers", "indexed", "partial", "reason")

    def __init__(self, paths: Iterable[str] = ()) -> None:
        self._paths: list[str] = []
        self._tail: list[str] = list(paths)
        self.version = 0
        self._searchers: OrderedDict[str, tuple[int, _Searcher]] = OrderedDict()
        self.indexed = False  # a full index has completed at least once
        self.partial = False  # ... but it stopped early (limit, cancel, failed folders)
        self.reason = ""

    # -- reading ----------------------------------------------------------------------------
    @property
    def paths(self) -> list[str]:
        """The sorted paths (do not modify)."""
        if self._tail:
            self._merge()
        return self._paths

    def __len__(self) -> int:
        return len(self.paths)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        paths = self.paths
        i = bisect_left(paths, path)
        return i < len(paths) and paths[i] == path

    def subtree_range(self, prefix: str) -> tuple[int, int]:
        """Indexes [lo, hi) of the paths under folder ``prefix`` ("" = all)."""
        paths = self.paths
        if not prefix:
            return 0, len(paths)
        return bisect_left(paths, prefix), bisect_left(paths, prefix + _END)

    def under(self, prefix: str) -> list[str]:
        lo, hi = self.subtree_range(_folder(prefix))
        return self.paths[lo:hi]

    def _merge(self) -> None:
        paths = self._paths
        paths.extend(self._tail)
        self._tail = []
        paths.sort()  # two sorted runs or a few new ones: timsort merges them in linear time
        if any(map(eq, paths, islice(paths, 1, None))):
            self._paths = list(dict.fromkeys(paths))

    # -- changing ---------------------------------------------------------------------------
    def _changed(self) -> None:
        self.version += 1

    def add(self, path: str) -> bool:
        """Add one path (a secret was written). False if it was already there."""
        path = path.strip("/")
        if not path or path in self:
            return False
        paths = self._paths
        paths.insert(bisect_left(paths, path), path)
        self._changed()
        return True

    def add_many(self, paths: Iterable[str]) -> None:
        """Add a batch (an index streaming in); duplicates are dropped."""
        new = [p.strip("/") for p in paths]
        new = [p for p in new if p]
        if new:
            self._tail.extend(new)
            self._changed()

    def remove(self, path: str) -> bool:
        """Remove one path (a secret was deleted). False if it was not there."""
        path = path.strip("/")
        paths = self.paths
        i = bisect_left(paths, path)
        if i < len(paths) and paths[i] == path:
            del paths[i]
            self._changed()
            return True
        return False

    def replace_subtree(self, prefix: str, paths: Iterable[str]) -> None:
        """Replace everything under folder ``prefix`` with ``paths`` (full paths under it)."""
        prefix = _folder(prefix)
        new = sorted({p.strip("/") for p in paths if p.strip("/").startswith(prefix) and p.strip("/")})
        lo, hi = self.subtree_range(prefix)
        self._paths[lo:hi] = new
        self._changed()

    def clear(self) -> None:
        self._paths = []
        self._tail = []
        self._searchers.clear()
        self._changed()

    # -- searching --------------------------------------------------------------------------
    def _searcher(self, prefix: str) -> _Searcher:
        entry = self._searchers.get(prefix)
        paths = self.paths
        if entry is None or entry[0] != self.version:
            lo, hi = self.subtree_range(prefix)
            chunk = paths[lo:hi]
            if prefix:
                cut = len(prefix)
                chunk = [p[cut:] for p in chunk]
            text = _Text(_lower_all(chunk))
            text.segments()  # part of building: not paid by the first keystroke
            entry = (self.version, _Searcher(text))
            self._searchers[prefix] = entry
            if len(self._searchers) > 2:
                self._searchers.popitem(last=False)
        else:
            self._searchers.move_to_end(prefix)
        return entry[1]

    def search_hits(self, query: str, *, subtree: str = "", limit: int = DEFAULT_LIMIT) -> tuple[list[Match], bool]:
        """Ranked matches with their rank keys (for merging several stores)."""
        return self._search(query, "", subtree, limit)

    def _search(self, query: str, mount: str, subtree: str, limit: int) -> tuple[list[Match], bool]:
        q = normalize_query(query)
        prefix = _folder(subtree)
        if not q:
            return [], False
        searcher = self._searcher(prefix)
        hits, more = searcher.search(q, limit)
        lo, _ = self.subtree_range(prefix)
        paths = self.paths
        cut = len(prefix)
        text = searcher.text
        out: list[Match] = []
        for tier, _last, line, start in hits:
            path = paths[lo + line]
            if tier == FUZZY:
                positions = tuple(p + cut for p in _fuzzy_positions(text.line(line), q))
            else:
                positions = tuple(range(start + cut, start + cut + len(q)))
            out.append(Match(mount=mount, path=path, tier=tier, positions=positions))
        return out, more

    def search(self, query: str, *, mount: str = "", subtree: str = "", limit: int = DEFAULT_LIMIT) -> SearchResult:
        matches, more = self._search(query, mount, subtree, limit)
        return SearchResult(query=query, matches=tuple(matches), more=more)


def _folder(path: str) -> str:
    path = path.strip("/")
    return path + "/" if path else ""


class Finder:
    """Every mount's :class:`PathStore`, keyed by (profile, namespace, mount). In memory only."""

    def __init__(self) -> None:
        self._stores: dict[StoreKey, PathStore] = {}

    @staticmethod
    def key(profile: str, namespace: str | None, mount: str) -> StoreKey:
        return (profile or "", (namespace or "").strip("/"), mount.strip("/"))

    def store(self, profile: str, namespace: str | None, mount: str) -> PathStore:
        """The store of one mount, created empty on first use."""
        key = self.key(profile, namespace, mount)
        store = self._stores.get(key)
        if store is None:
            store = self._stores[key] = PathStore()
        return store

    def get(self, profile: str, namespace: str | None, mount: str) -> PathStore | None:
        return self._stores.get(self.key(profile, namespace, mount))

    def mounts(self, profile: str, namespace: str | None) -> list[str]:
        ns = (namespace or "").strip("/")
        return sorted(k[2] for k in self._stores if k[0] == (profile or "") and k[1] == ns)

    def drop(self, profile: str, namespace: str | None, mount: str | None = None) -> None:
        """Forget one mount, or every mount of a namespace (``mount=None``)."""
        ns = (namespace or "").strip("/")
        for key in list(self._stores):
            if key[0] == (profile or "") and key[1] == ns and (mount is None or key[2] == mount.strip("/")):
                del self._stores[key]

    def drop_profile(self, profile: str) -> None:
        """Forget everything indexed for a profile (every namespace)."""
        for key in [k for k in self._stores if k[0] == (profile or "")]:
            del self._stores[key]

    # Convenience for the UI's write/delete/refresh hooks.
    def added(self, profile: str, namespace: str | None, mount: str, path: str) -> None:
        store = self.get(profile, namespace, mount)
        if store is not None:
            store.add(path)

    def removed(self, profile: str, namespace: str | None, mount: str, path: str) -> None:
        store = self.get(profile, namespace, mount)
        if store is not None:
            store.remove(path)

    def search(
        self,
        query: str,
        *,
        profile: str,
        namespace: str | None,
        mounts: Sequence[str] | None = None,
        subtree: str = "",
        limit: int = DEFAULT_LIMIT,
    ) -> SearchResult:
        """Search one mount (``mounts=[m]``, optionally a ``subtree`` of it) or several (None: all)."""
        names = list(mounts) if mounts is not None else self.mounts(profile, namespace)
        if len(names) == 1:
            store = self.get(profile, namespace, names[0])
            if store is None:
                return SearchResult(query=query, matches=(), more=False)
            return store.search(query, mount=names[0].strip("/"), subtree=subtree, limit=limit)
        ranked: list[tuple[tuple[int, int, int, int], Match]] = []
        more = False
        for order, name in enumerate(names):
            store = self.get(profile, namespace, name)
            if store is None:
                continue
            found, store_more = store._search(query, name.strip("/"), "", limit)
            more = more or store_more
            for rank, match in enumerate(found):
                ranked.append(((match.tier, _not_last(match), order, rank), match))
        ranked.sort(key=lambda item: item[0])
        if len(ranked) > limit:
            more = True
        return SearchResult(query=query, matches=tuple(m for _, m in ranked[:limit]), more=more)


def _not_last(match: Match) -> int:
    last = match.path.rfind("/")
    return 0 if not match.positions or match.positions[0] > last else 1


# -- the tree filter ------------------------------------------------------------------------


class TreeFilter:
    """Which loaded tree nodes stay visible for a query: ``PathIndex.matches`` semantics.

    ``paths`` are loaded paths (folders end in ``/``). A path stays when the query is a
    case-insensitive substring of it; its ancestor folders stay with it. Typing one more
    character only re-tests the paths that matched before.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths: list[str] = list(dict.fromkeys(paths))
        self._lower = [p.lower() for p in self.paths]
        names = list(self.paths)
        index = {p: i for i, p in enumerate(names)}
        parent = array("l")
        # Parent pointers; ancestors that are not loaded get their own entries (never matched).
        i = 0
        while i < len(names):
            up = _parent(names[i])
            if up is None:
                parent.append(-1)
            else:
                j = index.get(up)
                if j is None:
                    j = index[up] = len(names)
                    names.append(up)
                parent.append(j)
            i += 1
        self._names = names
        self._parent = parent
        self._last: tuple[str, list[int]] | None = None

    def matching(self, query: str) -> list[int]:
        """Indexes of the paths that contain ``query`` (lowercased)."""
        needle = query.lower()
        last = self._last
        if last is not None and needle.startswith(last[0]):
            candidates: Iterable[int] = last[1]
            lowered = self._lower
            found = [i for i in candidates if needle in lowered[i]]
        else:
            found = list(compress(range(len(self._lower)), map(contains, self._lower, repeat(needle))))
        self._last = (needle, found)
        return found

    def keep(self, query: str) -> set[str]:
        """The paths to keep: every match and every ancestor of one."""
        found = self.matching(query)
        parent = self._parent
        kept = bytearray(len(self._names))
        for i in found:
            while i >= 0 and not kept[i]:
                kept[i] = 1
                i = parent[i]
        return set(compress(self._names, kept))


def _parent(path: str) -> str | None:
    cut = path.rstrip("/").rfind("/")
    return path[: cut + 1] if cut >= 0 else None


def keep_set(paths: Iterable[str], query: str) -> set[str]:
    """One-off :meth:`TreeFilter.keep` (keep a :class:`TreeFilter` to reuse its narrowing)."""
    return TreeFilter(paths).keep(query)
