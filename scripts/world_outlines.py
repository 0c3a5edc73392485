"""Rebuild static/vendor/world/countries-110m.geojson from world-atlas's TopoJSON.

The map draws these country outlines under its markers, so it still shows the world when no tile
server is reachable (an intranet). Source: the npm package world-atlas 2.0.2, countries-110m.json,
a TopoJSON of Natural Earth's 1:110m Admin 0 boundaries (public domain); the package itself is under
the ISC licence (static/vendor/world/LICENSE). Coordinates are rounded to 2 decimals (about 1 km),
more than the 1:110m scale holds, to keep the file small.

Usage: python scripts/world_outlines.py path/to/countries-110m.json > static/vendor/world/countries-110m.geojson
"""

import json
import sys


def decode_arcs(topology: dict) -> list[list[list[float]]]:
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append([round(x * scale_x + shift_x, 2), round(y * scale_y + shift_y, 2)])
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs) -> list[list[float]]:
    points: list[list[float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def geometry(shape: dict, arcs) -> dict | None:
    if shape["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r, arcs) for r in shape["arcs"]]}
    if shape["type"] == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [[ring(r, arcs) for r in poly] for poly in shape["arcs"]]}
    return None


def main(path: str) -> None:
    with open(path, encoding="utf-8") as source:
        topology = json.load(source)
    arcs = decode_arcs(topology)
    features = []
    for shape in topology["objects"]["countries"]["geometries"]:
        shaped = geometry(shape, arcs)
        if shaped is not None:
            features.append(
                {"type": "Feature", "properties": {"name": shape["properties"]["name"]}, "geometry": shaped}
            )
    json.dump({"type": "FeatureCollection", "features": features}, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1])
