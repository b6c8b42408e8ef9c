'use strict';
// Drives the Go SDK's fake WeChat Pay (wechatpaytest) with the Node SDK
// wechatpay-axios-plugin: APIv3 GET/POST/PUT, APIv2 XML (MD5 and
// HMAC-SHA256, and mutual TLS), and calls signed with keys the server never
// issued. Usage: node client.js CONFIG.json
// CONFIG holds mchid, serial, privateKey, certs, secret, baseURL,
// merchantCert and answerSerial. Prints a JSON array of results.
const crypto = require('crypto');
const fs = require('fs');
const { Wechatpay } = require('wechatpay-axios-plugin');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function client(overrides = {}) {
  return new Wechatpay({
    mchid: cfg.mchid,
    serial: cfg.serial,
    privateKey: cfg.privateKey,
    certs: cfg.certs,
    secret: cfg.secret,
    merchant: { cert: cfg.merchantCert, key: cfg.privateKey },
    baseURL: cfg.baseURL,
    ...overrides,
  });
}

const wxpay = client();
// A key and an APIv2 secret the server never issued.
const { privateKey: rogueKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const rogue = client({ privateKey: rogueKey.export({ type: 'pkcs8', format: 'pem' }), secret: 'R'.repeat(32) });
const serialHeader = { headers: { 'Wechatpay-Serial': cfg.answerSerial } };

const calls = [
  ['v3 GET', () => wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ out_trade_no: 'N-1', params: { mchid: cfg.mchid } })],
  ['v3 POST', () => wxpay.v3.pay.transactions.native.post({
    appid: 'wxd678efh567hg6787', mchid: cfg.mchid, description: 'Image形象店-深圳腾大-QQ公仔',
    out_trade_no: 'N-2', notify_url: 'https://www.weixin.qq.com/wxpay/pay.php', amount: { total: 1, currency: 'CNY' },
  }, serialHeader)],
  ['v3 PUT', () => wxpay.v3.merchantService.complaintNotifications.put({ url: 'https://www.example.com/notify' })],
  ['v3 tampered answer', () => wxpay.v3.certificates.get()],
  ['v2 MD5', () => wxpay.v2.pay.micropay({
    appid: 'wx2421b1c4370ec43b', mch_id: cfg.mchid, body: 'image形象店-深圳腾大- QQ公仔', out_trade_no: 'N-3',
    total_fee: '888', spbill_create_ip: '8.8.8.8', auth_code: '120061098828009406',
  })],
  ['v2 HMAC-SHA256', () => wxpay.v2.pay.orderquery({
    appid: 'wx2421b1c4370ec43b', mch_id: cfg.mchid, transaction_id: '4200000985202406011234567890', out_trade_no: 'N-4', sign_type: 'HMAC-SHA256',
  })],
  ['v2 mutual TLS', () => wxpay.v2.secapi.pay.refund({
    appid: 'wx2421b1c4370ec43b', mch_id: cfg.mchid, transaction_id: '4200000985202406011234567890', out_trade_no: 'N-5',
    out_refund_no: 'R-5', total_fee: '1', refund_fee: '1',
  }, { security: true })],
  ['v3 rogue key', () => rogue.v3.pay.transactions.outTradeNo._out_trade_no_.get({ out_trade_no: 'N-6', params: { mchid: cfg.mchid } })],
  ['v2 rogue secret', () => rogue.v2.pay.orderquery({
    appid: 'wx2421b1c4370ec43b', mch_id: cfg.mchid, transaction_id: '4200000985202406011234567890', out_trade_no: 'N-7',
  })],
];

(async () => {
  const results = [];
  for (const [name, call] of calls) {
    try {
      const { status, data } = await call();
      results.push({ name, ok: true, status, data });
    } catch (err) {
      const res = err.response || {};
      results.push({ name, ok: false, status: res.status || 0, code: err.code || '', data: res.data, error: String(err.message) });
    }
  }
  process.stdout.write(JSON.stringify(results));
})();
