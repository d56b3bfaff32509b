# Draws docs/performance.svg from the data scripts/bench_report.py writes:
#   gnuplot -e "data='PLOT_DATA'; out='docs/performance.svg'" scripts/bench_plot.gp
# Left: whole-process time of `specdeploy check` by number of assertions (log-log; linear
# growth is a line of slope 1). Right: the time per assertion, which stays flat when it is.

set terminal svg size 960,400 dynamic font "sans,12" background "#ffffff"
set output out
set multiplot layout 1,2
set logscale x
set grid
set key top left
set xlabel "assertions"
set format x "10^{%L}"

set logscale y
set ylabel "specdeploy check, median (ms)"
set title "Total time"
plot data using 1:2 with linespoints lw 2 pt 7 title "manifest", \
     data using 1:4 with linespoints lw 2 pt 5 title ".spec files"

unset logscale y
set yrange [0:*]
set ylabel "per assertion (µs)"
set title "Time per assertion"
plot data using 1:3 with linespoints lw 2 pt 7 title "manifest", \
     data using 1:5 with linespoints lw 2 pt 5 title ".spec files"

unset multiplot
