# gnuplot -e "datafile='realtime.dat'; outfile='stalled_memory.png'" plot.gp
set terminal pngcairo size 1000,420 noenhanced
set output outfile
set datafile missing "?"
set multiplot layout 1,2 title "Real-time listeners (192 kbit/s) on live songs"
set xlabel "listeners N"
set logscale x
set key top left
set grid
set ylabel "stalled listeners"
plot datafile using 1:2 with linespoints lw 2 title "Serenade", datafile using 1:4 with linespoints lw 2 title "nginx proxy"
set ylabel "server RSS (MiB)"
plot datafile using 1:3 with linespoints lw 2 title "Serenade", datafile using 1:5 with linespoints lw 2 title "nginx proxy"
unset multiplot
