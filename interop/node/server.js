'use strict';
// A small WeChat Pay stand-in written with the Node SDK's own primitives
// (Rsa, Formatter, Hash, Transformer): it verifies the Go client's APIv3
// Authorization and APIv2 sign, and signs its answers. Usage:
// node server.js CONFIG.json; prints "listening PORT" when ready.
// CONFIG holds mchid, merchantSerial, merchantPublicKey, platformSerial,
// platformPrivateKey and secret. GET /v3/interop/tampered answers with a
// signature over other bytes.
const fs = require('fs');
const http = require('http');
const { Rsa, Formatter, Hash, Transformer } = require('wechatpay-axios-plugin');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const merchantKey = Rsa.from(cfg.merchantPublicKey, Rsa.KEY_TYPE_PUBLIC);
const platformKey = Rsa.from(cfg.platformPrivateKey, Rsa.KEY_TYPE_PRIVATE);

function authorize(req, body) {
  const [scheme, params] = (req.headers.authorization || '').split(' ', 2);
  if (scheme !== 'WECHATPAY2-SHA256-RSA2048' || !params) { return 'not WECHATPAY2-SHA256-RSA2048'; }
  const p = Object.fromEntries(params.split(',').map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1).replace(/^"|"$/g, '')];
  }));
  if (p.mchid !== cfg.mchid || p.serial_no !== cfg.merchantSerial) { return 'unknown merchant or serial'; }
  if (Math.abs(Formatter.timestamp() - Number(p.timestamp)) > 300) { return 'timestamp too far'; }
  const message = Formatter.request(req.method, req.url, p.timestamp, p.nonce_str, body);
  return Rsa.verify(message, p.signature, merchantKey) ? '' : 'signature does not verify';
}

function answerV3(res, status, payload, tampered) {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  const nonce = Formatter.nonce();
  const timestamp = Formatter.timestamp();
  const signature = Rsa.sign(Formatter.response(timestamp, nonce, tampered ? `${body} ` : body), platformKey);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Request-ID': Formatter.nonce(),
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Timestamp': String(timestamp),
    'Wechatpay-Serial': cfg.platformSerial,
    'Wechatpay-Signature': signature,
  });
  res.end(body);
}

function answerV2(res, fields) {
  const data = { ...fields, nonce_str: Formatter.nonce() };
  data.sign = Hash.sign(Hash.ALGO_HMAC_SHA256, data, cfg.secret);
  res.writeHead(200, { 'Content-Type': 'text/xml' });
  res.end(Transformer.toXml(data));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url.startsWith('/v3/')) {
      const problem = authorize(req, body);
      if (problem) { answerV3(res, 401, { code: 'SIGN_ERROR', message: problem }); return; }
      if (req.method === 'DELETE') { answerV3(res, 204); return; }
      answerV3(res, 200, {
        method: req.method, url: req.url, echo: body ? JSON.parse(body) : null,
      }, req.url === '/v3/interop/tampered');
      return;
    }
    const data = Transformer.toObject(body);
    const type = data.sign_type === Hash.ALGO_HMAC_SHA256 ? Hash.ALGO_HMAC_SHA256 : Hash.ALGO_MD5;
    if (data.mch_id !== cfg.mchid || !Hash.equals(Hash.sign(type, data, cfg.secret), data.sign)) {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(Transformer.toXml({ return_code: 'FAIL', return_msg: '签名错误' }));
      return;
    }
    answerV2(res, {
      return_code: 'SUCCESS', result_code: 'SUCCESS', mch_id: cfg.mchid, out_trade_no: data.out_trade_no, path: req.url,
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
