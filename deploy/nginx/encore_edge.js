// Encore's signed-URL check for nginx (njs 0.7+, Debian's libnginx-mod-http-js).
//
// The contract, shared with Encore's Python edge:
//   {origin}/audio/{id[0:2]}/{id[2:4]}/{id}/{file}?exp={unix seconds}&sig={hex}
//   sig = hex(HMAC-SHA256(key, path + ":" + exp)), path starting "/audio/",
// where any one of the keys in ENCORE_STREAM_KEYS (comma-separated) may verify, so keys can be
// rotated, and a URL whose exp is in the past is refused.
//
// nginx asks for $encore_verdict (js_set) once per request; the configuration lets the request
// through only when it is "ok", and then $encore_max_age (js_var) holds the seconds left before
// exp, for Cache-Control. The other verdicts name why it was refused, and become the
// problem type of the 403 answer:
//   malformed  the URL is not one Encore signs (layout, encoding, exp or sig syntax)
//   expired    exp is in the past
//   mismatch   no key gives this signature for this path and exp
//   no-keys    ENCORE_STREAM_KEYS is empty or unset: a configuration error, logged and
//              answered 503
//
// encore-http.conf's map has already taken the URL apart ($encore_path, $encore_exp,
// $encore_sig) from the raw request line, and only if it is exactly in Encore's form; this module
// adds the expiry, the HMAC, and, should that map ever be loosened, the requirement that the
// signed path be the one nginx opens ($uri, decoded and normalized), so that no escape or dot
// segment can make a signature for one file fetch another.
//
// njs 0.7 runs each request in a fresh copy of the module, so nothing parsed here outlives a
// request: the keys are split from the environment on each call (microseconds), and the HMACs,
// done in C by the crypto module, are most of the work.

var crypto = require('crypto');

// A cache may keep an answer until its signature expires, and never longer than a year.
var MAX_AGE_S = 31536000;

function streamKeys() {
    var raw = process.env.ENCORE_STREAM_KEYS || '';
    var keys = [];
    var parts = raw.split(',');
    for (var i = 0; i < parts.length; i++) {
        var key = parts[i].trim();
        if (key.length > 0) {
            keys.push(key);
        }
    }
    return keys;
}

// Whether `sig` is the signature `key` gives `message`. The two are compared through a second
// HMAC under the same key (the "double HMAC" comparison): how long `===` takes then depends on
// digests an attacker cannot predict, so timing leaks nothing about the right signature. njs has
// no timingSafeEqual, and a byte loop in njs costs far more than two HMACs done in C.
function signs(key, message, sig) {
    var expected = crypto.createHmac('sha256', key).update(message).digest('hex');
    return crypto.createHmac('sha256', key).update(expected).digest('base64') ===
        crypto.createHmac('sha256', key).update(sig).digest('base64');
}

function verdict(r) {
    var variables = r.variables;
    if (variables.encore_url_parsed !== '1') {
        return 'malformed';
    }
    var path = variables.encore_path;
    if (path !== r.uri) {
        return 'malformed';
    }
    var exp = variables.encore_exp;
    var sig = variables.encore_sig;
    var now = Math.floor(Date.now() / 1000);
    if (Number(exp) < now) {
        return 'expired';
    }
    var keys = streamKeys();
    if (keys.length === 0) {
        r.error('encore_edge: ENCORE_STREAM_KEYS is empty; start nginx with the stream keys');
        return 'no-keys';
    }
    var message = path + ':' + exp;
    for (var k = 0; k < keys.length; k++) {
        if (signs(keys[k], message, sig)) {
            variables.encore_max_age = String(Math.min(Number(exp) - now, MAX_AGE_S));
            return 'ok';
        }
    }
    return 'mismatch';
}

export default {verdict: verdict};
