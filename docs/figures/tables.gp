# The paper's tables beside ours, one PNG per table: gnuplot -e "name='table1_mnist'" tables.gp
# reads NAME.dat and writes NAME.png. A line of NAME.dat is a method, then our mean and std
# without and with SRC, then the paper's; nan marks a figure that does not exist, and a figure
# given without its spread has std 0 (as in the methods.dat a run writes).
set terminal pngcairo noenhanced size 1000,480 font ',10'
set output name.'.png'
set title system("sed -n 's/^# title: //p' ".name.'.dat')
set ylabel 'accuracy'
set yrange [0:1.05]
set grid ytics
set key top left
set datafile missing 'nan'
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6 border -1
plot name.'.dat' using 2:3:xtic(1) title 'sleepcl, without sleep', '' using 4:5 title 'sleepcl, with SRC', \
     '' using 6:7 title 'paper, without sleep' fill pattern 4, '' using 8:9 title 'paper, with SRC' fill pattern 5
