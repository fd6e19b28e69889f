"""The growth plots are well-formed SVG with one mark per measured point."""

import xml.etree.ElementTree as ET

from bench.growth import svg

SVG = "{http://www.w3.org/2000/svg}"


def test_one_labelled_circle_per_point_inside_the_canvas() -> None:
    points = [(1000.0, 3500.0, "45 MB"), (10000.0, 3300.0, "60 MB"), (100000.0, 2900.0, "190 MB")]
    root = ET.fromstring(svg(points, "stored pets", "req/s", "List throughput"))
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 3
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    xs = [float(c.get("cx", -1)) for c in circles]
    ys = [float(c.get("cy", -1)) for c in circles]
    assert all(0 < x < width for x in xs) and all(0 < y < height for y in ys)
    assert xs == sorted(xs) and ys == sorted(ys)  # more items to the right; fewer req/s lower (larger y)
    labels = {t.text for t in root.findall(f"{SVG}text")}
    assert {"45 MB", "190 MB", "stored pets", "req/s", "List throughput"} <= labels
