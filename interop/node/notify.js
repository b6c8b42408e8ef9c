'use strict';
// Builds WeChat Pay notifications with the Node SDK wechatpay-axios-plugin's
// own primitives (Rsa, Aes, Hash, Formatter, Transformer), for the Go SDK's
// Notifier to verify and decrypt. Usage: node notify.js CONFIG.json
// CONFIG holds platformKey (PEM), platformSerial, apiv3Key, secret, mchid.
// Prints a JSON array of {name, headers, body, plaintext}.
const fs = require('fs');
const { Rsa, Aes, Hash, Formatter, Transformer } = require('wechatpay-axios-plugin');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const platformKey = Rsa.from(cfg.platformKey, Rsa.KEY_TYPE_PRIVATE);

function v3(name, eventType, resource) {
  const plaintext = JSON.stringify(resource);
  const nonce = Formatter.nonce(12);
  const aad = 'transaction';
  const body = JSON.stringify({
    id: `EV-${name}`,
    create_time: '2015-05-20T13:29:35+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: '支付成功',
    resource: {
      original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM',
      ciphertext: Aes.AesGcm.encrypt(plaintext, cfg.apiv3Key, nonce, aad), associated_data: aad, nonce,
    },
  });
  const timestamp = `${Formatter.timestamp()}`;
  const headerNonce = Formatter.nonce();
  return {
    name,
    headers: {
      'Content-Type': 'application/json',
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Nonce': headerNonce,
      'Wechatpay-Serial': cfg.platformSerial,
      'Wechatpay-Signature': Rsa.sign(Formatter.response(timestamp, headerNonce, body), platformKey),
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    },
    body,
    plaintext,
  };
}

function v2Signed(name, fields, type) {
  const data = { ...fields, sign: Hash.sign(type, fields, cfg.secret) };
  return { name, headers: { 'Content-Type': 'text/xml' }, body: Transformer.toXml(data) };
}

function v2Refund(name, info) {
  const plain = Transformer.toXml(info).replace(/^<xml>/, '<root>').replace(/<\/xml>$/, '</root>');
  const fields = {
    return_code: 'SUCCESS', appid: 'wx2421b1c4370ec43b', mch_id: cfg.mchid, nonce_str: Formatter.nonce(),
    req_info: Aes.AesEcb.encrypt(plain, Hash.md5(cfg.secret)),
  };
  return { name, headers: { 'Content-Type': 'text/xml' }, body: Transformer.toXml(fields), plaintext: plain };
}

const out = [
  v3('transaction', 'TRANSACTION.SUCCESS', {
    mchid: cfg.mchid, appid: 'wxd678efh567hg6787', out_trade_no: '1217752501201407033233368018',
    transaction_id: '1217752501201407033233368018', trade_state: 'SUCCESS', payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' }, success_time: '2018-06-08T10:34:56+08:00',
  }),
  v3('refund', 'REFUND.SUCCESS', { out_refund_no: 'R-1', refund_status: 'SUCCESS', amount: { total: 100, refund: 100 } }),
  v2Signed('risk', {
    return_code: 'SUCCESS', sign_type: 'HMAC-SHA256', nonce_str: Formatter.nonce(), event_code: 'E1', risk_level: 'HIGH',
    risk_level_desc: '高风险', mch_id: cfg.mchid, sub_mch_id: '1900000110',
    transaction_id_list: JSON.stringify({ data: { transaction_id: ['4200000001', '4200000002'] } }),
  }, 'HMAC-SHA256'),
  v2Signed('paid', {
    return_code: 'SUCCESS', result_code: 'SUCCESS', appid: 'wx2421b1c4370ec43b', mch_id: cfg.mchid, nonce_str: Formatter.nonce(),
    openid: 'oUpF8uMEb4qRXf22hE3X68TekukE', out_trade_no: '1409811653', transaction_id: '1004400740201409030005092168',
    total_fee: '1', trade_type: 'JSAPI', bank_type: 'CFT', time_end: '20140903131540', is_subscribe: 'Y',
  }, 'MD5'),
  v2Refund('refund-v2', { out_refund_no: 'R-2', out_trade_no: 'O-2', refund_status: 'SUCCESS', refund_fee: '100', refund_id: '50000000382019052709732678859' }),
];
process.stdout.write(JSON.stringify(out));
