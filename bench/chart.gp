# Connect + close latency distributions (CDF) from bench/out/connect_*.dat.
# The x axis spans every sample of the three, fastest to slowest.
stats "bench/out/connect_ours.dat" nooutput
n_ours = STATS_records
lo = STATS_min
hi = STATS_max
stats "bench/out/connect_otp_map.dat" nooutput
n_map = STATS_records
lo = (STATS_min < lo) ? STATS_min : lo
hi = (STATS_max > hi) ? STATS_max : hi
stats "bench/out/connect_otp_global.dat" nooutput
n_global = STATS_records
lo = (STATS_min < lo) ? STATS_min : lo
hi = (STATS_max > hi) ? STATS_max : hi
set terminal pngcairo size 900,520 font ",11"
set output "bench/out/connect_latency.png"
set title "connect + close to a link-local peer: scoped\\_ipv6 vs OTP (same run)"
set xlabel "latency (microseconds, log scale)"
set ylabel "fraction of connects at or below"
set logscale x
set grid
set key bottom right
set yrange [0:1]
set xrange [lo:hi]
plot "bench/out/connect_ours.dat" using 1:(1.0/n_ours) smooth cumulative lw 2 title "scoped\\_ipv6\\_tcp:connect({fe80::2, Index})", \
     "bench/out/connect_otp_map.dat" using 1:(1.0/n_map) smooth cumulative lw 2 title "gen\\_tcp:connect(#{scope\\_id => Index}) (OTP map path)", \
     "bench/out/connect_otp_global.dat" using 1:(1.0/n_global) smooth cumulative lw 2 dt 2 title "gen\\_tcp:connect(fd00:a::2) (global address)"
