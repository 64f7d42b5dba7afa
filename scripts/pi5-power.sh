#!/usr/bin/env bash
# Prints the Raspberry Pi 5's PMIC power in watts: the sum over rails of current x voltage from
# `vcgencmd pmic_read_adc`, whose lines look like
#     VDD_CORE_A current(7)=2.31210000A
#     VDD_CORE_V volt(15)=0.76000000V
# Rails with both a current and a voltage are summed (EXT5V, the input, reports only its voltage).
# Use it as joule-bench's external meter: scripts/bench.sh --power-command="$PWD/scripts/pi5-power.sh"
set -euo pipefail
command -v vcgencmd >/dev/null 2>&1 || { echo "vcgencmd not found (Raspberry Pi OS only)" >&2; exit 1; }
vcgencmd pmic_read_adc | awk '
  /current\(/ { r = $1; sub(/_A$/, "", r); split($2, v, "="); a[r] = v[2] + 0 }
  /volt\(/    { r = $1; sub(/_V$/, "", r); split($2, v, "="); u[r] = v[2] + 0 }
  END { w = 0; for (r in a) if (r in u) w += a[r] * u[r]; if (w <= 0) exit 1; printf "%.3f W\n", w }'
