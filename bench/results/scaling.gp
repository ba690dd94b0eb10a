set terminal pngcairo size 900,560 noenhanced font ',10'
set output '/work/main/bench/results/scaling.png'
set title 'txetl load rank scaling (R ranks, R shards) - 2026-11-26T01:25:06Z e5160ab835b2'
set xlabel 'ranks (= shards)'
set ylabel 'rows/s'
set y2label 'parallel efficiency (%)'
set xtics ('1' 1, '2' 2, '4' 4)
set xrange [0.5:4.5]
set yrange [0:*]
set y2range [0:120]
set ytics nomirror
set y2tics 0,20
set grid ytics
set key outside bottom center horizontal
set object 1 rect from 2.5,graph 0 to 4.5,graph 1 back fc rgb '#eeeeee' fs solid noborder
set label 1 "ranks > 2 cores\n(oversubscribed)" at 2.6,graph 0.80 left
plot '/work/main/bench/results/scaling.dat' u 1:2 w linespoints lw 2 pt 7 t 'rows/s (wall)', \
     '' u 1:3 w linespoints lw 2 pt 5 dt 2 t 'rows/s (txetl own time)', \
     '' u 1:4 axes x1y2 w linespoints lw 2 pt 9 t 'efficiency % (right axis)'
