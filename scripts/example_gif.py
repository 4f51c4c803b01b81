"""Writes assets/ravine.gif, the README's example GIF: the ravine lesson, SGD against momentum."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere
    import momentum_viz as mv
    from momentum_viz.figures import animation_gif

    ravine = mv.get_surface("ravine")
    specs = [mv.RunSpec("sgd", 0.038), mv.RunSpec("momentum", 0.038, 0.6)]
    runs = mv.simulate_many(ravine, specs, start=(-2.5, -1.6), steps=200)
    (ROOT / "assets" / "ravine.gif").write_bytes(animation_gif(ravine, runs))


if __name__ == "__main__":
    main()
