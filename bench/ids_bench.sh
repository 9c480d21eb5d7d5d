#!/usr/bin/env bash
# IDS benchmark: the Emerging Threats Open rule set (../shared/corpus/rules/et-open) compiled
# (time, database size, memory), then a capture (default ../shared/corpus/pcaps/http_espn.pcapng)
# through vigil's IDS stage on one core, beside a plain Hyperscan block scan of the same packets
# against every content of the rule set, in the same run. Not a test; run it on a quiet machine.
# Usage: bench/ids_bench.sh [REPETITIONS] [PCAP] [LOOPS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${VIGIL_CORPUS:-$here/../shared/corpus}
reps=${1:-3}
pcap=${2:-$corpus/pcaps/http_espn.pcapng}
loops=${3:-30}
rules=$corpus/rules/et-open
[ -d "$rules" ] || { echo "ids_bench: no corpus at $corpus (set VIGIL_CORPUS)"; exit 1; }
bin=$here/build/bench/ids_bench
[ -x "$bin" ] || "$here/scripts/build.sh" >/dev/null
echo "ids_bench: $(ls "$rules"/*.rules | wc -l) rule files, $pcap x $loops loops, $reps repetitions"
for r in $(seq "$reps"); do
  taskset -c 1 "$bin" --pcap "$pcap" --loops "$loops" --classification "$rules/classification.config" \
    "$rules"/*.rules
done | tee /tmp/ids_bench.$$.json
/usr/bin/python3 - /tmp/ids_bench.$$.json <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = lambda k: statistics.median(r[k] for r in runs)
print("median: IDS %.3f Gbit/s (%.3f Mpps), plain Hyperscan %.3f Gbit/s, ratio %.2f; "
      "compile %.2f s, databases %d KiB, RSS +%.0f MiB; %d of %d rules" % (
          med("ids_gbps"), med("ids_mpps"), med("plain_hyperscan_gbps"),
          med("ids_gbps") / med("plain_hyperscan_gbps"), med("compile_s"), med("database_kib"),
          med("rss_growth_mib"), runs[0]["rules_compiled"], runs[0]["rules_enabled"]))
PY
rm -f /tmp/ids_bench.$$.json
