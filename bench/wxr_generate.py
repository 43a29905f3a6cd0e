#!/usr/bin/env python3
"""Writes a WordPress export (WXR 1.2) of an invented site for the import
benchmark: POSTS posts (a tenth in Arabic, percent-encoded slugs, tags and
two categories; one in 500 with a rare word, sandstorm or عاصفة), COMMENTS comments spread over them in threads up to depth
6, streamed to FILE so that any size fits in memory.

    bench/wxr_generate.py FILE POSTS COMMENTS
"""
import random
import sys
import urllib.parse
from datetime import datetime, timedelta, timezone

WORDS = ("water well council drought harvest market road convoy school "
         "clinic river border fuel price wheat date palm reservoir pump "
         "village report minister farmers families night morning").split()
ARABIC = "ماء بئر مجلس جفاف حصاد سوق طريق قافلة مدرسة عيادة نهر حدود وقود سعر قمح".split()


def cdata(s):
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def sentence(rng, words, n):
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def main():
    path, posts, comments = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(13)
    base = "https://bench-gazette.example"
    start = datetime(2015, 1, 1, tzinfo=timezone.utc)
    per_post = [0] * posts
    for _ in range(comments):
        per_post[min(int(rng.paretovariate(1.2)) - 1, posts - 1) if rng.random() < 0.3 else rng.randrange(posts)] += 1
    comment_id = 1
    with open(path, "w", encoding="utf-8") as out:
        w = out.write
        w('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
          'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
          'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n')
        w(f"<title>Bench Gazette</title><link>{base}</link><language>en-US</language>\n")
        w(f"<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>{base}</wp:base_site_url>"
          f"<wp:base_blog_url>{base}</wp:base_blog_url>\n")
        for i in range(1, 6):
            w(f"<wp:author><wp:author_id>{i}</wp:author_id><wp:author_login>{cdata(f'writer{i}')}</wp:author_login>"
              f"<wp:author_email>{cdata(f'writer{i}@bench.example')}</wp:author_email>"
              f"<wp:author_display_name>{cdata(f'Writer Number {i}')}</wp:author_display_name></wp:author>\n")
        for slug, name in (("news", "News"), ("region", "Region")):
            w(f"<wp:category><wp:category_nicename>{slug}</wp:category_nicename>"
              f"<wp:cat_name>{cdata(name)}</wp:cat_name></wp:category>\n")
        for p in range(posts):
            pid = 100000 + p
            arabic = p % 10 == 0
            words = ARABIC if arabic else WORDS
            title = sentence(rng, words, 8)[:-1]
            slug = (f"تقرير-{p}" if arabic else f"report-{p}-{rng.choice(WORDS)}")
            enc = urllib.parse.quote(slug).lower() if arabic else slug
            when = start + timedelta(minutes=97 * p)
            gmt = when.strftime("%Y-%m-%d %H:%M:%S")
            body = "\n\n".join(sentence(rng, words, 30) for _ in range(12))
            # A rare word in one post of 500, for searches that find few.
            if p % 500 == (10 if arabic else 7):
                body += "\n\n" + ("هبت عاصفة رملية." if arabic else "A sandstorm closed the road.")
            w(f"<item><title>{cdata(title)}</title>"
              f"<link>{base}/{when:%Y/%m/%d}/{enc}/</link>"
              f"<dc:creator>{cdata(f'writer{p % 5 + 1}')}</dc:creator>"
              f'<guid isPermaLink="false">{base}/?p={pid}</guid>'
              f"<content:encoded>{cdata(body)}</content:encoded><excerpt:encoded>{cdata('')}</excerpt:encoded>"
              f"<wp:post_id>{pid}</wp:post_id><wp:post_date>{cdata(gmt)}</wp:post_date>"
              f"<wp:post_date_gmt>{cdata(gmt)}</wp:post_date_gmt><wp:post_name>{cdata(enc)}</wp:post_name>"
              f"<wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:is_sticky>0</wp:is_sticky>"
              f'<category domain="category" nicename="news">{cdata("News")}</category>'
              f'<category domain="post_tag" nicename="{rng.choice(WORDS)}">{cdata(rng.choice(WORDS))}</category>\n')
            # Threads: each comment answers a random earlier one of the post
            # whose depth is under 6, or starts a thread.
            depth = {}
            ids = []
            for c in range(per_post[p]):
                cid = comment_id
                comment_id += 1
                parent = 0
                if ids and rng.random() < 0.6:
                    cand = rng.choice(ids)
                    if depth[cand] < 5:
                        parent = cand
                depth[cid] = depth[parent] + 1 if parent else 0
                ids.append(cid)
                cwhen = (when + timedelta(minutes=5 + c)).strftime("%Y-%m-%d %H:%M:%S")
                w(f"<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
                  f"<wp:comment_author>{cdata(f'Reader {cid % 997}')}</wp:comment_author>"
                  f"<wp:comment_author_email>reader{cid % 997}@readers.example</wp:comment_author_email>"
                  f"<wp:comment_date_gmt>{cdata(cwhen)}</wp:comment_date_gmt>"
                  f"<wp:comment_content>{cdata(sentence(rng, words, 25))}</wp:comment_content>"
                  f"<wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type>"
                  f"<wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id>"
                  f"</wp:comment>\n")
            w("</item>\n")
        w("</channel>\n</rss>\n")


if __name__ == "__main__":
    main()
