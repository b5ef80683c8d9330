#!/usr/bin/env bash
# Which switches go with the 2024 sleep sets? (docs/METHOD.md section 5; issue "Experiments",
# item 8.) Runs the limited-data experiment at 3% of the data, 10 trials, for every combination
# of modulation (ref, const), input gain (1, 2) and input mode (mean, window), on MNIST and
# Fashion-MNIST, and prints one table row per combination: mean test accuracy before and after
# sleep, the mean gain, and in how many trials sleep helped. Usage: tools/variant_study.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build}/sleepcl
printf "| dataset | modulation | gain | input | baseline | after sleep | gain | trials improved |\n"
printf "|---|---|---|---|---|---|---|---|\n"
for ds in mnist fashion; do
    for mod in ref const; do
        for gain in 1 2; do
            for input in mean window; do
                name=variant_${ds}_${mod}_g${gain}_${input}
                "$cli" run "configs/$ds.ini" --set experiment.kind=limited \
                    --set experiment.fractions=0.03 --set run.seeds=1..10 \
                    --set sleep.modulation=$mod --set sleep.gain=$gain --set sleep.input=$input \
                    --set run.out=runs --set experiment.name=$name >/dev/null 2>&1
                awk -F, -v ds=$ds -v mod=$mod -v g=$gain -v mode=$input '
                    $4 == "all" && $5 == "accuracy" && $3 == "baseline" { b[$1] = $6 }
                    $4 == "all" && $5 == "accuracy" && $3 == "sleep" { s[$1] = $6 }
                    END { n = 0; up = 0; sb = 0; ss = 0
                          for (t in b) { n++; sb += b[t]; ss += s[t]; up += (s[t] > b[t]) }
                          printf "| %s | %s | %s | %s | %.3f | %.3f | %+.3f | %d/%d |\n",
                                 ds, mod, g, mode, sb / n, ss / n, (ss - sb) / n, up, n }' \
                    "runs/$name/results.csv"
            done
        done
    done
done
