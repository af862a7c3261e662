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
//   no-keys    ENCORE_STREAM_KEYS is empty or not passed through (`env` directive): a
//              configuration error, logged, answered 500
//
// Why the raw request path and not $uri: nginx decodes %XX, merges slashes and resolves dot
// segments into $uri, so "/audio/ab/cd/%2e%2e/..." or an encoded slash could name one file in
// $uri while the signature covers other text. Requiring the raw path (from $request_uri) to be
// byte-for-byte equal to $uri, and to match the strict layout below, means the file nginx opens
// is exactly the path that was signed, and no percent-escape, dot segment or double slash ever
// gets that far.
//
// njs 0.7 runs each request in a fresh copy of the module, so nothing parsed here outlives a
// request: the keys are split from the environment on each call (microseconds), and the HMAC,
// done in C by the crypto module, is the only real work.

var crypto = require('crypto');

// The id's first four characters are its two directory levels (\1\2), as in catalog.audio_key.
var AUDIO_PATH = /^\/audio\/([0-9A-Za-z]{2})\/([0-9A-Za-z]{2})\/\1\2[0-9A-Za-z]{18}\/(?:24\.ogg|96\.ogg|160\.ogg|320\.ogg|lossless\.flac|preview\.ogg)$/;
var EXP = /^[0-9]{1,12}$/;
var SIG = /^[0-9a-f]{64}$/;
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
    var requestUri = r.variables.request_uri;
    var query = requestUri.indexOf('?');
    var path = query < 0 ? requestUri : requestUri.substring(0, query);
    if (path !== r.uri || !AUDIO_PATH.test(path)) {
        return 'malformed';
    }
    // A repeated parameter arrives as an array and fails the string checks.
    var exp = r.args.exp;
    var sig = r.args.sig;
    if (typeof exp !== 'string' || typeof sig !== 'string' || !EXP.test(exp) || !SIG.test(sig)) {
        return 'malformed';
    }
    var now = Math.floor(Date.now() / 1000);
    if (Number(exp) < now) {
        return 'expired';
    }
    var keys = streamKeys();
    if (keys.length === 0) {
        r.error('encore_edge: ENCORE_STREAM_KEYS is empty; is `env ENCORE_STREAM_KEYS;` set?');
        return 'no-keys';
    }
    var message = path + ':' + exp;
    for (var k = 0; k < keys.length; k++) {
        if (signs(keys[k], message, sig)) {
            r.variables.encore_max_age = String(Math.min(Number(exp) - now, MAX_AGE_S));
            return 'ok';
        }
    }
    return 'mismatch';
}

export default {verdict: verdict};
