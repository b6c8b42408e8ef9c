#!/usr/bin/env bash
# Client CPU per APIv3 call: wechatpay-php (bench.php) against the Go SDK's
# BenchmarkAPIv3Call/openssl and /openssl-8, same benchmark server, ROUNDS
# rounds alternating PHP and Go. See README.md.
#
# Env: ROUNDS (3), N (PHP calls per measurement, 2000), BENCHTIME (Go, 3s),
#      TEST_BIN (/tmp/openssl.test), WECHATPAY_PHP_SRC, URI_TEMPLATE_SRC
#      (bench.php's defaults: /tmp/wechatpay-php/src, /tmp/uri-template/src),
#      OUT (directory for the raw output, a new temporary one by default),
#      SUMMARY_ONLY=1 (with OUT: only print the summary of the rounds in OUT).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-3}
N=${N:-2000}
BENCHTIME=${BENCHTIME:-3s}
TEST_BIN=${TEST_BIN:-/tmp/openssl.test}
OUT=${OUT:-$(mktemp -d /tmp/wechatpay-php-bench.XXXXXX)}
mkdir -p "$OUT"

command -v php >/dev/null || { echo "php is not installed (apt-get install php-cli ...)" >&2; exit 1; }

if [ "${SUMMARY_ONLY:-}" != 1 ]; then
	echo "# building $TEST_BIN"
	(cd "$ROOT" && go test -c -tags openssl -o "$TEST_BIN" ./crypto/openssl)
fi

echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(php -r 'echo "PHP ", PHP_VERSION, ", curl ", curl_version()["version"], ", ", OPENSSL_VERSION_TEXT;')"
echo "# $(go version)"
echo "# raw output in $OUT"

# php_round runs bench.php against a fresh benchmark server (the test binary
# with WECHATPAY_OPENSSL_BENCH_SERVER=1: one JSON line on stdout, serves
# until its stdin closes).
php_round() {
	local r=$1 info="$OUT/server-$1.json"
	coproc SRV { cd "$ROOT/crypto/openssl" && WECHATPAY_OPENSSL_BENCH_SERVER=1 exec "$TEST_BIN" -test.run='^$'; }
	local srv_pid=$SRV_PID srv_in=${SRV[1]}
	IFS= read -r line <&"${SRV[0]}" || { echo "the benchmark server did not start" >&2; exit 1; }
	printf '%s\n' "$line" >"$info"
	local rc=0
	php "$HERE/bench.php" -n "$N" -inflight 8 "$info" | tee "$OUT/php-$r.txt" || rc=$?
	eval "exec ${srv_in}>&-" # close the server's stdin: it stops
	wait "$srv_pid" || true
	[ "$rc" = 0 ] || { echo "bench.php failed (round $r)" >&2; exit 1; }
}

go_round() {
	local r=$1
	(cd "$ROOT/crypto/openssl" && "$TEST_BIN" -test.run '^$' \
		-test.bench '^BenchmarkAPIv3Call$/^(openssl|openssl-8|bare-openssl|bare-openssl-8)$' \
		-test.benchtime "$BENCHTIME") | tee "$OUT/go-$r.txt"
	grep -q '^ok\|^PASS' "$OUT/go-$r.txt" || { echo "the Go benchmark failed (round $r)" >&2; exit 1; }
}

# SUMMARY_ONLY=1 with OUT=dir: only summarize the php-*.txt and go-*.txt in
# dir (e.g. rounds gathered from several runs).
[ "${SUMMARY_ONLY:-}" = 1 ] && ROUNDS=0

for r in $(seq 1 "$ROUNDS"); do
	echo "## round $r: PHP ($(date -u +%T))"
	php_round "$r"
	echo "## round $r: Go ($(date -u +%T))"
	go_round "$r"
done

echo "## done ($(date -u +%T))"

# Summary: the median over the rounds of each figure.
echo
echo "## summary (median of $(ls "$OUT"/php-*.txt | wc -l) rounds; cpu-µs/op is the client process's user+sys CPU per call)"
cat "$OUT"/php-*.txt "$OUT"/go-*.txt | awk '
function metric(unit,   i) { for (i = 2; i <= NF; i++) if ($i == unit) return $(i-1); return "" }
function add(key, v) { if (v != "") vals[key] = vals[key] " " v }
function median(key,   a, n, i, j, t) {
	n = split(vals[key], a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	if (n == 0) return "n/a"
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^PHPAPIv3Call\/seq / { add("php-seq", metric("cpu-µs/op")); add("php-seq-ns", metric("ns/op")) }
/^PHPAPIv3Call\/inflight-8 / { add("php-8", metric("cpu-µs/op")); add("php-8-ns", metric("ns/op")) }
/^PHPFloor\// { add("php-floor", metric("cpu-µs/op")) }
/^BenchmarkAPIv3Call\/bare-openssl-8(-[0-9]+)?[ \t]/ { add("bare-8", metric("cpu-µs/op")); next }
/^BenchmarkAPIv3Call\/bare-openssl(-[0-9]+)?[ \t]/ { add("bare-seq", metric("cpu-µs/op")); next }
/^BenchmarkAPIv3Call\/openssl-8(-[0-9]+)?[ \t]/ { add("go-8", metric("cpu-µs/op")); add("go-8-ns", metric("ns/op")); add("go-floor", metric("floor-cpu-µs")); next }
/^BenchmarkAPIv3Call\/openssl(-[0-9]+)?[ \t]/ { add("go-seq", metric("cpu-µs/op")); add("go-seq-ns", metric("ns/op")); add("go-floor", metric("floor-cpu-µs")) }
END {
	ps = median("php-seq"); p8 = median("php-8"); gs = median("go-seq"); g8 = median("go-8")
	pf = median("php-floor"); gf = median("go-floor")
	bs = median("bare-seq"); b8 = median("bare-8")
	printf "| | PHP (wechatpay-php) | Go (openssl) | Go/PHP | bare Go client |\n|---|---:|---:|---:|---:|\n"
	printf "| sequential, cpu-µs/call | %s | %s | %.2f | %s |\n", ps, gs, gs / ps, bs
	printf "| 8 in flight, cpu-µs/call | %s | %s | %.2f | %s |\n", p8, g8, g8 / p8, b8
	printf "| floor: sign+verify, cpu-µs | %s | %s | %.2f | |\n", pf, gf, gf / pf
	printf "| sequential, wall ns/call | %s | %s | | |\n", median("php-seq-ns"), median("go-seq-ns")
	printf "| 8 in flight, wall ns/call | %s | %s | | |\n", median("php-8-ns"), median("go-8-ns")
	printf "\nall rounds (cpu-µs/op): php-seq:%s | php-8:%s | go-seq:%s | go-8:%s | bare-seq:%s | bare-8:%s | php-floor:%s | go-floor:%s\n", \
		vals["php-seq"], vals["php-8"], vals["go-seq"], vals["go-8"], vals["bare-seq"], vals["bare-8"], vals["php-floor"], vals["go-floor"]
}'

# The ratio within each round (PHP and Go ran back to back, so a slow
# stretch of the machine weighs on both), and its median.
paired() {
	local php_row=$1 go_row=$2 r p g all=""
	for f in "$OUT"/php-*.txt; do
		r=${f##*/php-}; r=${r%.txt}
		[ -f "$OUT/go-$r.txt" ] || continue
		p=$(awk -v row="$php_row" '$1 == row { for (i = 2; i <= NF; i++) if ($i == "cpu-µs/op") print $(i-1) }' "$f")
		g=$(awk -v row="$go_row" '$1 ~ "^" row "(-[0-9]+)?$" { for (i = 2; i <= NF; i++) if ($i == "cpu-µs/op") { print $(i-1); exit } }' "$OUT/go-$r.txt")
		[ -n "$p" ] && [ -n "$g" ] && all="$all $(awk -v p="$p" -v g="$g" 'BEGIN { printf "%.2f", g / p }')"
	done
	echo "$all" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v what="$3" '{ a[NR] = $1 } END {
		if (NR == 0) { print what ": n/a"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		s = ""; for (i = 1; i <= NR; i++) s = s " " a[i]
		printf "%s: median %.2f over %d rounds (%s )\n", what, m, NR, s }'
}
echo
paired PHPAPIv3Call/seq BenchmarkAPIv3Call/openssl "Go/PHP paired, sequential"
paired PHPAPIv3Call/inflight-8 BenchmarkAPIv3Call/openssl-8 "Go/PHP paired, 8 in flight"
