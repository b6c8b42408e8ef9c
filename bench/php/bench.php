<?php declare(strict_types=1);
/*
 * Client CPU per APIv3 call of wechatpay-php, against the benchmark server of
 * crypto/openssl (the Go test binary run with WECHATPAY_OPENSSL_BENCH_SERVER=1).
 * The same call as BenchmarkAPIv3Call/openssl: POST v3/pay/transactions/native,
 * JSON body, signed, answer verified by the SDK, code_url checked.
 *
 * Usage: php bench.php [-n N] [-inflight K] [-mode all|calls|floor] [INFO]
 *   INFO: the server's JSON line (a file path, or "-" / absent for stdin).
 * Env: WECHATPAY_PHP_SRC (wechatpay-php's src/, default /tmp/wechatpay-php/src),
 *      URI_TEMPLATE_SRC (guzzle/uri-template's src/, default /tmp/uri-template/src).
 * Output: one line per measurement, in the style of `go test -bench`.
 */

use WeChatPay\Builder;
use WeChatPay\Crypto\Rsa;
use GuzzleHttp\Promise\EachPromise;

// E_DEPRECATED off: Debian's Guzzle 7.4.5 creates a dynamic property
// (CurlMultiHandler::$_mh), deprecated since PHP 8.2; harmless here.
error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED);
set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {
    throw new ErrorException($msg, 0, $no, $file, $line);
}, E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED);

function fail(string $msg): void
{
    fwrite(STDERR, "bench.php: FAIL: $msg\n");
    exit(1);
}

// ---- arguments ------------------------------------------------------------
$n = 2000;
$inFlight = 8;
$mode = 'all';
$infoPath = '-';
for ($i = 1; $i < $argc; $i++) {
    switch ($argv[$i]) {
        case '-n': $n = (int) $argv[++$i]; break;
        case '-inflight': $inFlight = (int) $argv[++$i]; break;
        case '-mode': $mode = $argv[++$i]; break;
        default: $infoPath = $argv[$i];
    }
}
if ($n < 1 || $inFlight < 1 || !in_array($mode, ['all', 'calls', 'floor'], true)) {
    fail('bad arguments');
}

// ---- autoloading, without Composer -----------------------------------------
set_include_path('/usr/share/php' . PATH_SEPARATOR . get_include_path());
require_once 'GuzzleHttp/autoload.php'; // Debian's: pulls Promise, Psr7, PSR autoloaders
$psr4 = [
    'WeChatPay\\' => getenv('WECHATPAY_PHP_SRC') ?: '/tmp/wechatpay-php/src',
    'GuzzleHttp\\UriTemplate\\' => getenv('URI_TEMPLATE_SRC') ?: '/tmp/uri-template/src',
];
foreach ($psr4 as $prefix => $dir) {
    if (!is_dir($dir)) {
        fail("$dir is not there: see README.md for how to get the sources of $prefix");
    }
}
spl_autoload_register(static function (string $class) use ($psr4): void {
    foreach ($psr4 as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});

// ---- the server's description --------------------------------------------
$line = $infoPath === '-' ? fgets(STDIN) : file_get_contents($infoPath);
$info = json_decode((string) $line, true, 512, JSON_THROW_ON_ERROR);
foreach (['URL', 'MchID', 'Serial', 'KeyPEM', 'PlatformSerial', 'PlatformCertPEM'] as $k) {
    if (!isset($info[$k])) {
        fail("the server info has no $k");
    }
}
$keyPEM = base64_decode($info['KeyPEM'], true);          // []byte in Go's JSON
$certPEM = base64_decode($info['PlatformCertPEM'], true);
if ($keyPEM === false || $certPEM === false) {
    fail('KeyPEM / PlatformCertPEM are not base64');
}
$privateKey = Rsa::from($keyPEM, Rsa::KEY_TYPE_PRIVATE);

function rusageMicros(): int
{
    $r = getrusage(0); // RUSAGE_SELF
    return ($r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec']) * 1000000
        + $r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec'];
}

function report(string $name, int $n, int $cpuMicros, int $wallNs, string $extra = ''): void
{
    printf("%-28s %8d %14.0f ns/op %10.1f cpu-µs/op%s\n", $name, $n, $wallNs / $n, $cpuMicros / $n, $extra);
}

// ---- the floor: openssl_sign + openssl_verify of the Go benchmark's message --
// As floorCPU in crypto/openssl/bench_test.go: the merchant key signs, its
// public key verifies, SHA-256 with PKCS#1 v1.5, one of each per operation.
function cryptoFloor(\OpenSSLAsymmetricKey $priv, int $n): void
{
    $pub = openssl_pkey_get_public(openssl_pkey_get_details($priv)['key']);
    $msg = "POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n"
        . '{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"}}' . "\n";
    $bits = openssl_pkey_get_details($priv)['bits'];
    for ($i = 0; $i < 20; $i++) { // warm up
        openssl_sign($msg, $sig, $priv, OPENSSL_ALGO_SHA256);
        openssl_verify($msg, $sig, $pub, OPENSSL_ALGO_SHA256);
    }
    $c0 = rusageMicros();
    $t0 = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        if (!openssl_sign($msg, $sig, $priv, OPENSSL_ALGO_SHA256)
            || openssl_verify($msg, $sig, $pub, OPENSSL_ALGO_SHA256) !== 1) {
            fail('openssl_sign/openssl_verify failed: ' . openssl_error_string());
        }
    }
    $t1 = hrtime(true);
    $c1 = rusageMicros();
    report("PHPFloor/sign+verify-rsa$bits", $n, $c1 - $c0, $t1 - $t0);
}

if ($mode === 'floor') {
    cryptoFloor($privateKey, $n);
    exit(0);
}

// ---- the client ------------------------------------------------------------
$newClient = static function ($platformCert) use ($info, $privateKey) {
    return Builder::factory([
        'mchid' => (string) $info['MchID'],
        'serial' => $info['Serial'],
        'privateKey' => $privateKey,
        'certs' => [$info['PlatformSerial'] => $platformCert],
        'base_uri' => rtrim($info['URL'], '/') . '/',
    ]);
};
$instance = $newClient(Rsa::from($certPEM, Rsa::KEY_TYPE_PUBLIC));

$body = [
    'appid' => 'wxd678efh567hg6787',
    'mchid' => (string) $info['MchID'],
    'description' => 'Image形象店-深圳腾大-QQ公仔',
    'out_trade_no' => '1217752501201407033233368018',
    'notify_url' => 'https://www.weixin.qq.com/wxpay/pay.php',
    'amount' => ['total' => 100, 'currency' => 'CNY'],
];

// check is applied to every answer: the SDK's verifier middleware has
// already thrown unless the Wechatpay-Signature verified with the platform
// certificate; here the status and code_url.
$check = static function ($res): void {
    if ($res->getStatusCode() !== 200) {
        fail('status ' . $res->getStatusCode());
    }
    $doc = json_decode((string) $res->getBody(), true);
    if (!is_array($doc) || !isset($doc['code_url']) || $doc['code_url'] === '') {
        fail('no code_url in the answer: ' . $res->getBody());
    }
};
$call = static function () use ($instance, $body, $check): void {
    $check($instance->chain('v3/pay/transactions/native')->post(['json' => $body]));
};

// Verification is on: a client holding another key under the platform serial
// must refuse the (genuine) answer.
$other = openssl_pkey_new(['private_key_bits' => 2048, 'private_key_type' => OPENSSL_KEYTYPE_RSA]);
$wrong = $newClient(openssl_pkey_get_public(openssl_pkey_get_details($other)['key']));
try {
    $wrong->chain('v3/pay/transactions/native')->post(['json' => $body]);
    fail('an answer verified with the wrong platform key: the SDK does not verify');
} catch (\GuzzleHttp\Exception\RequestException $e) {
    if (strpos($e->getMessage(), "Verify the response's data with") === false) { // EV3_RES_HEADER_SIGNATURE_DIGEST
        fail('unexpected error from the wrong-key client: ' . $e->getMessage());
    }
}
unset($wrong, $other);

// ---- sequential ------------------------------------------------------------
try {
    $call(); // connect first; the CurlHandler keeps the connection alive
    $c0 = rusageMicros();
    $t0 = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $call();
    }
    $t1 = hrtime(true);
    $c1 = rusageMicros();
    report('PHPAPIv3Call/seq', $n, $c1 - $c0, $t1 - $t0);
} catch (\Throwable $e) {
    fail('sequential call: ' . get_class($e) . ': ' . $e->getMessage());
}

// ---- K in flight -----------------------------------------------------------
// EachPromise keeps $inFlight postAsync promises outstanding, topping up from
// the generator as each settles; Guzzle's CurlMultiHandler drives them.
$runInFlight = static function (int $count) use ($instance, $body, $check, $inFlight): void {
    $gen = (static function () use ($instance, $body, $check, $count) {
        for ($i = 0; $i < $count; $i++) {
            yield $instance->chain('v3/pay/transactions/native')->postAsync(['json' => $body])->then($check);
        }
    })();
    $done = 0;
    (new EachPromise($gen, [
        'concurrency' => $inFlight,
        'fulfilled' => static function () use (&$done): void { $done++; },
        'rejected' => static function ($reason): void {
            fail('call in flight: ' . ($reason instanceof \Throwable ? get_class($reason) . ': ' . $reason->getMessage() : var_export($reason, true)));
        },
    ]))->promise()->wait();
    if ($done !== $count) {
        fail("$done of $count calls in flight completed");
    }
};
try {
    $runInFlight(4 * $inFlight); // warm up: open the $inFlight connections
    $c0 = rusageMicros();
    $t0 = hrtime(true);
    $runInFlight($n);
    $t1 = hrtime(true);
    $c1 = rusageMicros();
    report("PHPAPIv3Call/inflight-$inFlight", $n, $c1 - $c0, $t1 - $t0);
} catch (\Throwable $e) {
    fail('calls in flight: ' . get_class($e) . ': ' . $e->getMessage());
}

// ---- connection reuse check (not measured) -----------------------------------
// The same client again, recording the local port of every call (on_stats):
// a kept-alive client uses 1 connection sequentially and $inFlight at most
// with $inFlight in flight.
$ports = [];
$withStats = ['json' => $body, 'on_stats' => static function ($stats) use (&$ports): void {
    $ports[$stats->getHandlerStat('local_port')] = true;
}];
for ($i = 0; $i < 50; $i++) {
    $check($instance->chain('v3/pay/transactions/native')->post($withStats));
}
$seqConns = count($ports);
$ports = [];
$gen = (static function () use ($instance, $withStats, $check) {
    for ($i = 0; $i < 100; $i++) {
        yield $instance->chain('v3/pay/transactions/native')->postAsync($withStats)->then($check);
    }
})();
(new EachPromise($gen, ['concurrency' => $inFlight, 'rejected' => static function ($r): void {
    fail('check call: ' . ($r instanceof \Throwable ? $r->getMessage() : var_export($r, true)));
}]))->promise()->wait();
printf("# connections used: %d for 50 sequential calls, %d for 100 calls %d in flight\n", $seqConns, count($ports), $inFlight);
if ($seqConns !== 1 || count($ports) > $inFlight) {
    fail('the client does not keep its connections alive');
}

if ($mode === 'all') {
    cryptoFloor($privateKey, $n);
}
