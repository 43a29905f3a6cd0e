#!/usr/bin/env python3
"""Writes N synthetic article files (TOML front matter + Markdown) for the
benchmark: English and Arabic reports of about a dozen paragraphs, spread over
sections, tags, authors and two years of dates. Deterministic for a given N."""

import os
import random
import sys
from datetime import datetime, timedelta, timezone

EN_WORDS = """water river harvest ministry council border market port strike wheat barley
drought rain pipeline contract budget parliament court election candidate village province
city hospital school teachers doctors farmers traders drivers fishermen engineers refinery
power grid outage solar wind license permit tariff currency inflation wages rent housing
bridge road railway airport museum archive manuscript festival theatre library reservoir
dam canal pump irrigation season shipment container customs inspector report survey audit
committee spokesman official resident negotiator union federation company investor bank
loan deficit subsidy ration bakery flour price queue petition protest agreement deadline""".split()

AR_WORDS = """المياه النهر الحصاد الوزارة المجلس الحدود السوق الميناء الإضراب القمح الشعير
الجفاف المطر الأنبوب العقد الميزانية البرلمان المحكمة الانتخابات المرشح القرية المحافظة
المدينة المستشفى المدرسة المعلمون الأطباء المزارعون التجار السائقون الصيادون المهندسون
المصفاة الكهرباء الشبكة الانقطاع الطاقة الرياح الترخيص التعرفة العملة التضخم الأجور
الإيجار السكن الجسر الطريق السكك المطار المتحف الأرشيف المخطوطة المهرجان المسرح
المكتبة الخزان السد القناة المضخة الري الموسم الشحنة الحاوية الجمارك المفتش التقرير""".split()

CITIES = ["BAGHDAD, Iraq.", "BASRA, Iraq.", "MOSUL, Iraq.", "ERBIL, Iraq.", "BEIRUT, Lebanon.",
          "AMMAN, Jordan.", "CAIRO, Egypt.", "TUNIS, Tunisia.", "RABAT, Morocco.", "DAMASCUS, Syria."]
AR_CITIES = ["بغداد، العراق.", "البصرة، العراق.", "الموصل، العراق.", "بيروت، لبنان.", "عمّان، الأردن."]
SECTIONS = ["World", "Economy", "Environment", "Culture", "Politics"]
TAGS = ["Water", "Energy", "Elections", "Agriculture", "Labour", "Trade", "Heritage", "Health",
        "Housing", "Transport", "Courts", "Climate"]
AUTHORS = ["Rana Haddad", "Omar Aziz", "Layla Hassan", "Karim Nasser", "Salma Idris",
           "Yusuf Mansour", "Hana Saleh", "Tariq Barakat"]
OUTLETS = ["Tigris Courier", "Levant Ledger", "Nile Evening Post", "Maghreb Observer"]


def sentence(rng, words, n):
    w = [rng.choice(words) for _ in range(n)]
    return " ".join(w).capitalize() + "."


def paragraph(rng, words):
    return " ".join(sentence(rng, words, rng.randint(9, 18)) for _ in range(rng.randint(3, 5)))


def toml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261124)
    start = datetime(2024, 12, 1, tzinfo=timezone.utc)
    for i in range(n):
        arabic = i % 10 == 3
        words = AR_WORDS if arabic else EN_WORDS
        headline = sentence(rng, words, rng.randint(6, 10))[:-1]
        when = start + timedelta(minutes=int(i * 100 + rng.randint(0, 60)))
        lines = [
            "+++",
            f"headline = {toml_str(headline)}",
            f"slug = \"report-{i:05d}\"",
            f"deck = {toml_str(sentence(rng, words, 14))}",
            f"dateline = {toml_str(rng.choice(AR_CITIES if arabic else CITIES))}",
            f"language = \"{'ar' if arabic else 'en'}\"",
            "authors = [" + ", ".join(toml_str(a) for a in rng.sample(AUTHORS, rng.randint(1, 2))) + "]",
            f"section = {toml_str(rng.choice(SECTIONS))}",
            "tags = [" + ", ".join(toml_str(t) for t in rng.sample(TAGS, rng.randint(2, 4))) + "]",
            "status = \"published\"",
            f"published_at = {when.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        ]
        if i % 4 == 0:
            lines += [
                "",
                "[original]",
                f"outlet = {toml_str(rng.choice(OUTLETS))}",
                f"url = \"https://example.org/original/{i}\"",
                f"language = \"{'en' if arabic else 'ar'}\"",
                f"translators = [{toml_str(rng.choice(AUTHORS))}]",
            ]
        lines.append("+++")
        body = [paragraph(rng, words) for _ in range(12)]
        body.insert(6, "## " + sentence(rng, words, 5)[:-1])
        with open(os.path.join(out, f"report-{i:05d}.md"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n" + "\n\n".join(body) + "\n")


if __name__ == "__main__":
    main()
