"""The Textual-free finder: ranking, highlighting, scoping, store updates, the tree filter.

Pure logic. Every answer is also checked against a brute-force reference, so the fast paths
(early-stopping passes, incremental narrowing, caches) cannot drift from the specification.
"""

from __future__ import annotations

import random

import pytest

from vault_tui.views.secrets.finder import (
    EXACT,
    FUZZY,
    PREFIX,
    SUBSTRING,
    Finder,
    PathStore,
    TreeFilter,
    keep_set,
    spans,
)
from vault_tui.views.secrets.tree_model import PathIndex


def lower(text: str) -> str:
    """Lowercase, one character for one (as the finder does, so positions stay aligned)."""
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def reference(paths: list[str], query: str) -> list[tuple[int, int, str]]:
    """(tier, 0 if in the last segment else 1, path) for every match, best first."""
    q = lower(query.strip())
    ranked = []
    for path in sorted(set(paths)):
        line = lower(path)
        best = None
        start = line.find(q)
        while start >= 0:
            end = start + len(q)
            seg_start = start == 0 or line[start - 1] == "/"
            seg_end = end == len(line) or line[end] == "/"
            tier = EXACT if seg_start and seg_end else PREFIX if seg_start else SUBSTRING
            last = 0 if "/" not in line[end:] else 1
            if best is None or (tier, last) < best:
                best = (tier, last)
            start = line.find(q, start + 1)
        if best is None:
            pos = -1
            for ch in "".join(q.split()) or q:  # spaces separate words in a fuzzy match
                pos = line.find(ch, pos + 1)
                if pos < 0:
                    break
            else:
                best = (FUZZY, 1)
        if best is not None:
            ranked.append((best[0], best[1], path))
    ranked.sort()
    return ranked


def check(store: PathStore, paths: list[str], query: str, limit: int) -> None:
    result = store.search(query, limit=limit)
    expected = reference(paths, query)
    got = [(m.tier, m.path) for m in result.matches]
    assert got == [(t, p) for t, _, p in expected[:limit]], query
    assert result.more == (len(expected) > limit) or (len(expected) == limit and result.more), query
    for match in result.matches:
        line = lower(match.path)
        q = lower(query.strip())
        if match.tier == FUZZY:
            q = "".join(q.split()) or q  # spaces separate words in a fuzzy match
        assert "".join(line[i] for i in match.positions) == q
        assert list(match.positions) == sorted(set(match.positions))


PATHS = [
    "team/app/db",  # exact segment, last
    "team/db/config",  # exact segment, a folder
    "team/app/dbx",  # prefix of the last segment
    "team/dbadmin/x",  # prefix of a folder
    "team/app/mydb",  # substring, last
    "legacy-db-tools/a",  # substring in a folder
    "team/dashboard",  # fuzzy: d..b
    "other/thing",  # no match
]


def test_ranking_exact_segment_then_prefix_then_substring_then_fuzzy():
    store = PathStore(PATHS)
    result = store.search("db")
    assert [m.path for m in result.matches] == [
        "team/app/db",
        "team/db/config",
        "team/app/dbx",
        "team/dbadmin/x",
        "team/app/mydb",
        "legacy-db-tools/a",
        "team/dashboard",
    ]
    assert [m.tier for m in result.matches] == [EXACT, EXACT, PREFIX, PREFIX, SUBSTRING, SUBSTRING, FUZZY]
    assert not result.more
    check(store, PATHS, "db", 200)


def test_spaces_separate_words_in_a_fuzzy_match():
    store = PathStore(["payments/checkout/prod/db", "payments/checkout/dev/db", "prod db/literal"])
    result = store.search("prod db")
    assert [m.path for m in result.matches] == ["prod db/literal", "payments/checkout/prod/db"]
    assert result.matches[0].tier == EXACT  # a literal space still matches a literal space first
    assert result.matches[1].tier == FUZZY
    assert result.matches[1].spans() == ((18, 22), (23, 25))


def test_highlight_positions():
    store = PathStore(["payments/prod/stripe-key", "a/B/Stripe"])
    [first, second] = store.search("STRIPE").matches
    assert first.path == "a/B/Stripe" and first.positions == (4, 5, 6, 7, 8, 9)
    assert second.positions == tuple(range(14, 20))
    assert first.spans() == ((4, 10),)
    fuzzy = PathStore(["payments/prod/x"]).search("pymtsprd").matches[0]
    assert fuzzy.tier == FUZZY
    assert "".join("payments/prod/x"[i] for i in fuzzy.positions) == "pymtsprd"
    assert spans([1, 2, 3, 7, 9, 10], offset=5) == ((6, 9), (12, 13), (14, 16))


def test_case_unicode_spaces_and_percent():
    paths = ["Équipe/Ünïcode key/a b", "x/100%41/y", "x/100A/y", "İstanbul/x", "q?#/z"]
    store = PathStore(paths)
    assert [m.path for m in store.search("ünï").matches] == ["Équipe/Ünïcode key/a b"]
    assert [m.path for m in store.search("a b").matches][0] == "Équipe/Ünïcode key/a b"
    assert [m.path for m in store.search("%41").matches] == ["x/100%41/y"]
    assert [m.path for m in store.search("?#").matches] == ["q?#/z"]
    # A character whose lowercase form is longer keeps positions aligned with the path.
    match = store.search("stanbul").matches[0]
    assert match.path == "İstanbul/x" and match.positions == tuple(range(1, 8))
    for query in ["ünï", "a b", "%41", "?#", "stanbul", "x/1", "]", "\\", "^-"]:
        check(store, paths, query, 200)


def test_scopes_mount_subtree_and_all_mounts():
    finder = Finder()
    finder.store("prod", None, "secret").add_many(["team/db", "team/app/db-pass", "other/db"])
    finder.store("prod", None, "kv").add_many(["db", "legacy/dbx"])
    finder.store("prod", "ns1", "secret").add_many(["team/db"])
    finder.store("dev", None, "secret").add_many(["team/db"])

    one = finder.search("db", profile="prod", namespace=None, mounts=["secret"])
    assert [m.full_path for m in one.matches] == ["secret/other/db", "secret/team/db", "secret/team/app/db-pass"]

    # A subtree: its own folder name is not searched, positions stay relative to the mount path.
    sub = finder.search("team", profile="prod", namespace=None, mounts=["secret"], subtree="team/")
    assert sub.matches == ()
    sub = finder.search("db", profile="prod", namespace=None, mounts=["secret"], subtree="team")
    assert [m.path for m in sub.matches] == ["team/db", "team/app/db-pass"]
    assert sub.matches[0].positions == (5, 6)

    every = finder.search("db", profile="prod", namespace=None)
    assert [m.full_path for m in every.matches] == [
        "kv/db",
        "secret/other/db",
        "secret/team/db",
        "kv/legacy/dbx",  # same rank (prefix of the last segment): mount order, then path order
        "secret/team/app/db-pass",
    ]
    assert finder.mounts("prod", None) == ["kv", "secret"]
    assert len(finder.search("db", profile="prod", namespace=None, limit=2).matches) == 2
    assert finder.search("db", profile="prod", namespace=None, limit=2).more

    finder.drop("prod", None)
    assert finder.mounts("prod", None) == [] and finder.mounts("prod", "ns1") == ["secret"]
    finder.drop_profile("prod")
    assert finder.mounts("prod", "ns1") == [] and finder.mounts("dev", None) == ["secret"]


def test_add_remove_and_replace_subtree_update_results():
    store = PathStore(["a/one", "a/two", "b/three"])
    assert [m.path for m in store.search("t").matches] == ["a/two", "b/three"]
    assert store.add("a/ten")
    assert not store.add("a/ten")
    assert "a/ten" in store
    assert [m.path for m in store.search("t").matches] == ["a/ten", "a/two", "b/three"]
    assert store.remove("a/two") and not store.remove("a/two")
    assert [m.path for m in store.search("t").matches] == ["a/ten", "b/three"]
    store.replace_subtree("a/", ["a/new/t1", "a/x"])
    assert store.paths == ["a/new/t1", "a/x", "b/three"]
    assert [m.path for m in store.search("t").matches] == ["a/new/t1", "b/three"]
    store.add_many(["b/three", "c/t", "c/t"])  # a streamed batch, duplicates included
    assert store.paths == ["a/new/t1", "a/x", "b/three", "c/t"]
    assert store.under("a") == ["a/new/t1", "a/x"]
    store.replace_subtree("", [])
    assert len(store) == 0 and store.search("t").matches == ()


def _random_paths(rnd: random.Random, count: int, alphabet: str) -> list[str]:
    paths: set[str] = set()
    while len(paths) < count:
        depth = rnd.randint(1, 4)
        parts = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 5))) for _ in range(depth)]
        paths.add("/".join(parts))
    return sorted(paths)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_paths_agree_with_the_reference_while_typing(seed):
    rnd = random.Random(seed)
    # A small alphabet makes many occurrences (the early-stopping passes), a larger one few.
    for alphabet, count in (("abc", 1500), ("abcdefgh-", 1500), ("abcdefghijklmnopqrstuvwxyz", 400)):
        paths = _random_paths(rnd, count, alphabet)
        store = PathStore(paths)
        for _ in range(8):
            word = "".join(rnd.choice(alphabet + "/") for _ in range(rnd.randint(1, 7)))
            limit = rnd.choice([5, 50, 200])
            for i in range(1, len(word) + 1):  # typing
                check(store, paths, word[:i], limit)
            for i in range(len(word) - 1, 0, -1):  # backspace
                check(store, paths, word[:i], limit)
        # The store changes: the caches must not answer for the old paths.
        removed = paths[::3]
        for path in removed:
            store.remove(path)
        kept = [p for p in paths if p not in set(removed)]
        for word in ("a", "ab", "a/b", "ba"):
            check(store, kept, word, 50)


def test_empty_queries_and_empty_store():
    store = PathStore()
    assert store.search("x").matches == ()
    store.add("a")
    assert store.search("   ").matches == ()
    assert store.search("").matches == ()


# -- the tree filter --------------------------------------------------------------------------


def _loaded_tree(rnd: random.Random) -> PathIndex:
    index = PathIndex()
    folders = [""]
    while folders and sum(len(v) for v in index.children.values()) < 2000:
        folder = folders.pop(rnd.randrange(len(folders)))
        keys = []
        for _ in range(rnd.randint(1, 12)):
            name = "".join(rnd.choice("abcdeÜ %") for _ in range(rnd.randint(1, 4)))
            if rnd.random() < 0.3:
                keys.append(name + "/")
                folders.append(folder + name + "/")
            else:
                keys.append(name)
        index.set_children("m/", folder, sorted(set(keys)))
    return index


@pytest.mark.parametrize("seed", [4, 5])
def test_tree_filter_keep_set_equals_path_index_matches(seed):
    rnd = random.Random(seed)
    index = _loaded_tree(rnd)
    loaded = index.paths("m/")
    tree = TreeFilter(loaded)
    for _ in range(15):
        word = "".join(rnd.choice("abcdeü/ %") for _ in range(rnd.randint(1, 5)))
        for i in list(range(1, len(word) + 1)) + list(range(len(word) - 1, -1, -1)):
            assert tree.keep(word[:i]) == index.matches("m/", word[:i]), word[:i]
    assert keep_set(loaded, "") == index.matches("m/", "")
    # Ancestors are kept even when the caller's list does not hold them.
    assert keep_set(["x/y/z"], "z") == {"x/", "x/y/", "x/y/z"}


def test_segment_shortcuts_see_every_line():
    # Large enough for several slices of the text; the rarest names are at the very end.
    paths = [f"bulk/folder{i:05d}/name{i:05d}" for i in range(30_000)] + ["zz/last-one", "zz/sub/name"]
    store = PathStore(paths)
    assert [m.path for m in store.search("last-one").matches] == ["zz/last-one"]
    assert store.search("last-one").matches[0].tier == EXACT
    assert [m.path for m in store.search("zz/sub").matches][0] == "zz/sub/name"
    assert store.search("zz/sub").matches[0].tier == EXACT
    assert [m.path for m in store.search("folder29999/name29999").matches] == ["bulk/folder29999/name29999"]
    assert store.search("folder29999/name29999").matches[0].tier == EXACT
    # "name" occurs 30,000 times (the early-stopping passes); it is a whole segment only on the last line.
    assert store.search("name").matches[0].path == "zz/sub/name"
    check(store, paths, "name", 50)
    check(store, paths, "zz/s", 50)
    check(store, paths, "name2999", 50)
