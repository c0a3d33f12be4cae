#!/bin/sh
# Regenerate the README's pictures (boundary, curves, training animation).
# Run from the repository root with glassnet installed:  sh docs/make_images.sh
# One training run of the default moons network (seed 0) draws all three;
# the held-out 30% is the validation curve.
set -eu
python -m glassnet train --no-progress \
    --out docs/images/moons.png \
    --curves docs/images/curves.png \
    --animate docs/images/moons.gif --snapshot-every 25
