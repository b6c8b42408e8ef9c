'use strict';
// Sends a few calls with the Node SDK wechatpay-axios-plugin, each tagged
// with an X-Case header, so that headers_test.go can compare the default
// headers it sends with the Go client's. Usage: node headers.js CONFIG.json
// CONFIG holds mchid, serial, privateKey, certs, secret and baseURL.
const fs = require('fs');
const { Wechatpay } = require('wechatpay-axios-plugin');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const wxpay = new Wechatpay(cfg);
const tag = (name) => ({ headers: { 'X-Case': name } });

const calls = [
  () => wxpay.v3.wire.get({ params: { x: 1 }, ...tag('v3 GET') }),
  () => wxpay.v3.wire.delete(tag('v3 DELETE')),
  () => wxpay.v3.wire.post('{"a":1}', tag('v3 POST raw')),
  () => wxpay.v3.wire.post(undefined, tag('v3 POST bodiless')),
  () => wxpay.v2.wire.get({ params: { mch_id: cfg.mchid }, ...tag('v2 GET') }),
  () => wxpay.v2.wire.post({ mch_id: cfg.mchid }, tag('v2 POST')),
];

(async () => {
  // Every answer is an error (the capturing server answers 500); what
  // counts is what was sent, which the Go test checks.
  for (const call of calls) {
    try { await call(); } catch (err) { /* expected */ }
  }
})();
