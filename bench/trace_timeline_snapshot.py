#!/usr/bin/env python3
"""Renders an edgesim timeline.json as a static HTML page (one SVG lane per track), so the
whole-run overview can be looked at, or screenshotted with headless Chromium, without the
Perfetto UI. Usage:

    bench/trace_timeline_snapshot.py RUN/timeline.json page.html [START_US END_US]
    chromium --headless --screenshot=timeline.png --window-size=1600,560 file://$PWD/page.html
"""
import hashlib
import html
import json
import sys


def colour(name):
    digest = hashlib.md5(name.encode()).digest()
    return "hsl(%d,55%%,%d%%)" % (digest[0] * 360 // 256, 45 + digest[1] % 20)


def main():
    source, target = sys.argv[1], sys.argv[2]
    doc = json.load(open(source))
    tracks, slices = {}, []
    for e in doc["traceEvents"]:
        if e["ph"] == "M" and e["name"] == "thread_name":
            tracks[e["tid"]] = e["args"]["name"]
        elif e["ph"] == "X":
            slices.append(e)
    start = float(sys.argv[3]) if len(sys.argv) > 4 else 0.0
    end = float(sys.argv[4]) if len(sys.argv) > 4 else max(s["ts"] + s["dur"] for s in slices)
    used = sorted({s["tid"] for s in slices})
    width, label_width, lane, top = 1560, 150, 44, 30
    scale = (width - label_width - 10) / (end - start)
    height = top + lane * len(used) + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height)]
    steps = 10
    for i in range(steps + 1):
        t = start + (end - start) * i / steps
        x = label_width + (t - start) * scale
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x, top - 5, x, height))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%.1f us</text>' % (x, top - 10, t))
    for row, tid in enumerate(used):
        y = top + row * lane
        out.append('<text x="4" y="%d" font-weight="bold">%s</text>' % (y + lane // 2 + 4, html.escape(tracks.get(tid, str(tid)))))
        # Enclosing slices first (longer), then the ones nested in them, drawn lower and thinner.
        mine = sorted((s for s in slices if s["tid"] == tid), key=lambda s: (s["ts"], -s["dur"]))
        open_ends = []
        for s in mine:
            if s["ts"] + s["dur"] < start or s["ts"] > end:
                continue
            while open_ends and open_ends[-1] <= s["ts"] + 1e-7:  # float microseconds
                open_ends.pop()
            depth = len(open_ends)
            open_ends.append(s["ts"] + s["dur"])
            x = label_width + (max(s["ts"], start) - start) * scale
            w = max((min(s["ts"] + s["dur"], end) - max(s["ts"], start)) * scale, 0.5)
            h = lane - 8 - 10 * depth
            out.append('<rect x="%.2f" y="%d" width="%.2f" height="%d" fill="%s" stroke="#fff" '
                       'stroke-width="0.3"><title>%s</title></rect>'
                       % (x, y + 4 + 10 * depth, w, max(h, 6), colour(s["name"]), html.escape(s["name"])))
            if w > 7 * len(s["name"]):
                out.append('<text x="%.2f" y="%d" fill="#fff">%s</text>' % (x + 3, y + 18 + 10 * depth, html.escape(s["name"])))
    out.append("</svg>")
    page = ('<!doctype html><html><head><meta charset="utf-8"><title>%s</title></head>'
            '<body style="margin:8px;background:#fff">%s</body></html>' % (html.escape(source), "".join(out)))
    open(target, "w").write(page)


if __name__ == "__main__":
    main()
