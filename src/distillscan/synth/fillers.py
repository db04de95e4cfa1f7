"""Filler generators: slot values a grammar rule cannot express by itself.

Numbers, code snippets with their identifiers filled in, small CSV data sets with an
analysis question, short essays, math word problems and partial repository listings.
Word lists and templates come from `data/fillers.json`; data sets and math problems
stay here because their columns and numeric ranges are typed parameters, not text.
"""

from __future__ import annotations

import functools
import random
from typing import Any, Final

from distillscan.synth.datafiles import load_rules, load_strings
from distillscan.synth.grammar import Rng, pick

NAMES: Final = load_strings("fillers", "names")
CITIES: Final = load_strings("fillers", "cities")
MONTHS: Final = load_strings("fillers", "months")
WEEKDAYS: Final = load_strings("fillers", "weekdays")
LANGUAGES: Final = load_strings("fillers", "languages")
COMPANIES: Final = load_strings("fillers", "companies")
ESSAY_TOPICS: Final = load_strings("fillers", "essay_topics")


def money(rng: Rng) -> str:
    """A dollar amount."""
    return f"${5 + int(rng.random() * 995)}"


def pct(rng: Rng) -> str:
    """A percentage with one decimal."""
    return f"{1 + rng.random() * 39:.1f}%"


def date(rng: Rng) -> str:
    """A month and day."""
    return f"{pick(rng, MONTHS)} {1 + int(rng.random() * 28)}"


def num_list(rng: Rng) -> str:
    """A comma-separated list of integers."""
    n = 6 + int(rng.random() * 9)
    scale = (10, 100, 1000)[int(rng.random() * 3)]
    return ", ".join(str(int(rng.random() * scale) + 1) for _ in range(n))


def num_series(rng: Rng) -> str:
    """Twelve values with a trend and noise, as monthly figures."""
    base = 50 + rng.random() * 950
    trend = (rng.random() - 0.4) * base * 0.05
    values = (base + trend * i + (rng.random() - 0.5) * base * 0.2 for i in range(12))
    return ", ".join(f"{v:.0f}" for v in values)


# ---- code: identifiers in the three casing styles, precomputed for speed.

_VERBS: Final = load_strings("fillers", "verbs")
_NOUNS: Final = load_strings("fillers", "nouns")
SNAKE: Final = tuple(f"{v}_{n}" for v in _VERBS for n in _NOUNS)
CAMEL: Final = tuple(v + "".join(p.capitalize() for p in n.split("_")) for v in _VERBS for n in _NOUNS)
ARGS: Final = load_strings("fillers", "args")
KEYS: Final = load_strings("fillers", "keys")

_SNIPPETS: Final = load_rules("fillers", "snippets")
PY_SNIPPETS: Final = _SNIPPETS["python"]
_JS_SNIPPETS: Final = _SNIPPETS["javascript"]
_GO_SNIPPETS: Final = _SNIPPETS["go"]
_RS_SNIPPETS: Final = _SNIPPETS["rust"]
_SQL_SNIPPETS: Final = _SNIPPETS["sql"]
SNIPPETS_BY_SUFFIX: Final = {".py": PY_SNIPPETS, ".go": _GO_SNIPPETS, ".ts": _JS_SNIPPETS, ".tsx": _JS_SNIPPETS,
                             ".rs": _RS_SNIPPETS}


def fill_snippet(rng: Rng, template: str, i: int | None = None) -> str:
    """A code template with its identifiers and constants filled in (identifier pair `i` if given)."""
    if i is None:
        i = int(rng.random() * len(SNAKE))
    return (
        template.replace("@FN@", SNAKE[i])
        .replace("@CFN@", CAMEL[i])
        .replace("@CLS@", CAMEL[i][0].upper() + CAMEL[i][1:])
        .replace("@ARG@", pick(rng, ARGS))
        .replace("@KEY@", pick(rng, KEYS))
        .replace("@N@", str(2 + int(rng.random() * 98)))
        .replace("@M@", str(1 + int(rng.random() * 9)))
    )


def code_py(rng: Rng) -> str:
    """A filled-in Python snippet."""
    return fill_snippet(rng, pick(rng, PY_SNIPPETS))


def code_any(rng: Rng) -> str:
    """A filled-in snippet in Python (more often), JavaScript, Go, SQL or Rust."""
    pools = (PY_SNIPPETS, PY_SNIPPETS, _JS_SNIPPETS, _GO_SNIPPETS, _SQL_SNIPPETS, _RS_SNIPPETS)
    return fill_snippet(rng, pick(rng, pools[int(rng.random() * len(pools))]))


def fn_name(rng: Rng) -> str:
    """A snake_case function name."""
    return pick(rng, SNAKE)


# ---- small data sets: each a title and columns (name, kind, parameter).

_Column = tuple[str, str, Any]  # name, kind ('cat', 'month', 'int', 'float'), choices or upper bound
_DATASETS: tuple[tuple[str, tuple[_Column, ...]], ...] = (
    ("regional sales", (("region", "cat", ("North", "South", "East", "West", "Central")),
                        ("month", "month", None), ("revenue", "float", 90000.0), ("units", "int", 4000))),
    ("clinic visits", (("clinic", "cat", ("Elm St", "Riverside", "Hilltop", "Harbor")),
                       ("week", "int", 52), ("visits", "int", 900), ("avg_wait_min", "float", 60.0))),
    ("A/B test results", (("variant", "cat", ("control", "A", "B")), ("users", "int", 20000),
                          ("conversions", "int", 1500), ("revenue_per_user", "float", 12.0))),
    ("sensor readings", (("sensor", "cat", ("S1", "S2", "S3", "S4", "S5")), ("hour", "int", 23),
                         ("temp_c", "float", 45.0), ("humidity", "float", 100.0))),
    ("employee survey", (("department", "cat", ("Sales", "Eng", "Ops", "Support", "Finance")),
                         ("tenure_years", "int", 20), ("satisfaction", "float", 10.0),
                         ("remote_days", "int", 5))),
    ("delivery times", (("carrier", "cat", ("FastShip", "Parcelo", "RoadRunner", "Citylink")),
                        ("distance_km", "float", 800.0), ("days", "int", 9), ("damaged", "cat", ("yes", "no")))),
    ("housing prices", (("neighborhood", "cat", ("Oakridge", "Millbrook", "Bayview", "Old Town")),
                        ("sqft", "int", 4000), ("bedrooms", "int", 6), ("price_k", "float", 1500.0))),
    ("app usage", (("platform", "cat", ("iOS", "Android", "web")), ("day", "int", 31),
                   ("sessions", "int", 50000), ("crash_rate", "float", 2.5))),
    ("energy use", (("building", "cat", ("HQ", "Plant 2", "Warehouse", "Lab")), ("month", "month", None),
                    ("kwh", "int", 250000), ("occupancy", "float", 1.0))),
    ("student scores", (("school", "cat", ("Lincoln", "Roosevelt", "Kennedy", "Jefferson")),
                        ("grade", "int", 12), ("math", "float", 100.0), ("reading", "float", 100.0))),
)
_ANALYSIS_QUESTIONS: Final = load_strings("fillers", "analysis_questions")
_ROW_POOL: Final = 512


def _data_row(rng: Rng, columns: tuple[_Column, ...]) -> str:
    """One CSV row of random values for `columns`."""
    cells: list[str] = []
    for _, kind, param in columns:
        if kind == "cat":
            cells.append(pick(rng, param))
        elif kind == "month":
            cells.append(pick(rng, MONTHS)[:3])
        elif kind == "int":
            cells.append(str(1 + int(rng.random() * param)))
        else:
            cells.append(f"{rng.random() * param:.2f}")
    return ",".join(cells)


@functools.cache
def _dataset_pool(index: int) -> tuple[str, tuple[str, ...], str, str, str]:
    """Title, a pool of CSV rows (header first) and the columns a question can name, per data set."""
    title, columns = _DATASETS[index]
    rng = random.Random(f"dataset:{index}")
    rows = (",".join(name for name, _, _ in columns), *(_data_row(rng, columns) for _ in range(_ROW_POOL)))
    numeric = [name for name, kind, _ in columns if kind in ("int", "float")]
    return title, rows, columns[0][0], numeric[-1], numeric[0] if len(numeric) > 1 else columns[1][0]


def dataset(rng: Rng) -> tuple[str, str, str]:
    """A small CSV sample and an analysis question about its columns."""
    title, rows, a, b, c = _dataset_pool(int(rng.random() * len(_DATASETS)))
    sample = [rows[0]] + [rows[1 + int(rng.random() * _ROW_POOL)] for _ in range(4 + int(rng.random() * 5))]
    return title, "\n".join(sample), pick(rng, _ANALYSIS_QUESTIONS).format(a=a, b=b, c=c)


def csv_table(rng: Rng) -> str:
    """A small CSV sample."""
    return dataset(rng)[1]


def columns(rng: Rng) -> str:
    """The column names of a data set."""
    _, cols = _DATASETS[int(rng.random() * len(_DATASETS))]
    return ", ".join(name for name, _, _ in cols)


# ---- essays: sentences on one topic.

ESSAY_SENTENCES: Final = load_strings("fillers", "essay_sentences")


def essay(rng: Rng) -> str:
    """Three to six sentences on one topic, in one or two paragraphs."""
    topic = pick(rng, ESSAY_TOPICS)
    n = 3 + int(rng.random() * 4)
    sentences = [pick(rng, ESSAY_SENTENCES) for _ in range(n)]
    text = " ".join(sentences[:2]) + ("\n\n" if n > 4 else " ") + " ".join(sentences[2:])
    return (
        text.replace("@T@", topic)
        .replace("@Y@", str(2015 + int(rng.random() * 10)))
        .replace("@C@", pick(rng, CITIES))
        .replace("@P@", str(2 + int(rng.random() * 30)))
    )


# ---- math: templates with numeric slots (lo, hi) and optional names and cities.

_MATH_TEMPLATES: tuple[tuple[str, dict[str, tuple[int, int]]], ...] = (
    ("{name} buys {a} notebooks at ${b} each and {c} pens at ${d} each. How much does {name} spend in total, "
     "and how much change is left from ${e}?", {"a": (2, 9), "b": (2, 8), "c": (3, 12), "d": (1, 4), "e": (50, 100)}),
    ("Solve for x: {a}x + {b} = {c}x - {d}", {"a": (2, 15), "b": (1, 60), "c": (16, 30), "d": (1, 40)}),
    ("Find the derivative of f(x) = {a}x^3 - {b}x^2 + {c}x - {d} and the points where f'(x) = 0.",
     {"a": (1, 6), "b": (2, 12), "c": (1, 20), "d": (1, 9)}),
    ("Evaluate the integral of ({a}x^2 + {b}x) dx from 0 to {c}.", {"a": (1, 9), "b": (1, 9), "c": (2, 6)}),
    ("How many positive divisors does {a} have?", {"a": (120, 9999)}),
    ("What is the remainder when {a}^{b} is divided by {c}?", {"a": (2, 19), "b": (20, 999), "c": (5, 13)}),
    ("A bag has {a} red, {b} blue and {c} green marbles. Two are drawn without replacement. "
     "What is the probability that both are the same colour?", {"a": (2, 9), "b": (2, 9), "c": (2, 9)}),
    ("In how many ways can {a} people sit around a round table if {name} and {name2} refuse to sit next to each other?",
     {"a": (5, 10)}),
    ("A train leaves {city} at {a}:00 travelling at {b} km/h. Another leaves {city2}, {c} km away, one hour later "
     "at {d} km/h towards it. When and where do they meet?",
     {"a": (6, 11), "b": (60, 140), "c": (300, 900), "d": (70, 160)}),
    ("The sum of three consecutive even integers is {a}. What are they?", {"a": (30, 600)}),
    ("A rectangle's length is {a} cm more than its width and its area is {b} cm^2. Find its dimensions.",
     {"a": (2, 9), "b": (40, 400)}),
    ("If {a} workers build a wall in {b} days, how long would {c} workers take at the same rate?",
     {"a": (3, 12), "b": (4, 30), "c": (2, 20)}),
    ("A ${a} jacket is discounted by {b}% and then {c}% sales tax is added. What is the final price?",
     {"a": (40, 400), "b": (5, 60), "c": (3, 12)}),
    ("A town of {a} people grows by {b}% per year. What will the population be after {c} years?",
     {"a": (2000, 90000), "b": (1, 9), "c": (2, 25)}),
    ("${a} is invested at {b}% interest compounded monthly. How much is it worth after {c} years?",
     {"a": (500, 20000), "b": (2, 9), "c": (2, 30)}),
    ("Is {a} a prime number? Show how you would check efficiently.", {"a": (1001, 99991)}),
    ("Find the next two terms of the sequence {a}, {b}, {c}, {d}, ... and the rule behind it.",
     {"a": (1, 5), "b": (6, 11), "c": (12, 20), "d": (21, 35)}),
    ("Prove that n^3 - n is divisible by {a} for every integer n.", {"a": (6, 6)}),
    ("{name} is {a} years older than {name2}. In {b} years {name} will be twice as old as {name2}. "
     "How old are they now?", {"a": (5, 30), "b": (2, 15)}),
    ("A fair die is rolled {a} times. What is the probability of getting at least {b} sixes?",
     {"a": (4, 12), "b": (1, 3)}),
    ("Find all integer pairs (x, y) with x^2 - y^2 = {a}.", {"a": (15, 300)}),
    ("A tank fills through one pipe in {a} hours and drains through another in {b} hours. "
     "With both open, how long until it is full?", {"a": (2, 6), "b": (7, 15)}),
    ("Three friends, {name}, {name2} and {name3}, each own a different pet: a cat, a dog and a parrot. "
     "{name} is allergic to fur and {name2} does not own the dog. Who owns which pet?", {}),
    ("What is the expected number of coin flips needed to see {a} heads in a row?", {"a": (2, 5)}),
    ("Simplify ({a}x^2 - {b}) / ({c}x + {d}) if possible, and state any restrictions on x.",
     {"a": (1, 9), "b": (1, 49), "c": (1, 7), "d": (1, 7)}),
)
_MATH_COMPILED = tuple((t, tuple(r.items()), "{name" in t, "{city" in t) for t, r in _MATH_TEMPLATES)


def math_problem(rng: Rng) -> str:
    """A math word problem with its numbers, names and cities filled in."""
    template, ranges, has_names, has_cities = _MATH_COMPILED[int(rng.random() * len(_MATH_COMPILED))]
    values: dict[str, int | str] = {k: lo + int(rng.random() * (hi - lo + 1)) for k, (lo, hi) in ranges}
    if has_names:
        values["name"], values["name2"], values["name3"] = rng.sample(NAMES, 3)
    if has_cities:
        values["city"], values["city2"] = rng.sample(CITIES, 2)
    return template.format(**values)


def math_answer(rng: Rng) -> str:
    """A number with zero to two decimals, as a student's answer."""
    return f"{rng.random() * 1000:.{int(rng.random() * 3)}f}"


# ---- file trees for agentic coding frames.

_TREES: Final = tuple(load_rules("fillers", "file_trees").values())
_CODE_SUFFIXES: Final = (".py", ".go", ".ts", ".tsx", ".rs")


@functools.cache
def _tree_views() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Partial listings of each repository (text, and the non-test files in it)."""
    rng = random.Random("trees")
    views = []
    for tree in _TREES:
        for _ in range(24):
            files = sorted(rng.sample(tree, min(len(tree), 4 + int(rng.random() * 4))))
            code = tuple(f for f in files if "test" not in f and f.endswith(_CODE_SUFFIXES))
            views.append(("\n".join(files), code or tuple(f for f in tree if f.endswith(_CODE_SUFFIXES))))
    return tuple(views)


def tree_and_path(rng: Rng) -> tuple[str, str]:
    """A partial repository listing and one code file in it."""
    views = _tree_views()
    text, paths = views[int(rng.random() * len(views))]
    return text, paths[int(rng.random() * len(paths))]


def file_path(rng: Rng) -> str:
    """A file path from one of the repositories."""
    tree = _TREES[int(rng.random() * len(_TREES))]
    return pick(rng, tree)
