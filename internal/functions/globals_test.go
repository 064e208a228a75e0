package functions

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// globalsRun runs body as the exec of an action and returns its output.
func globalsRun(t *testing.T, rt *Runtime, h *fakeHost, body string) json.RawMessage {
	t.Helper()
	src := "import { createAction } from 'nango';\nexport default createAction({ exec: async (nango) => {\n" + body + "\n} });\n"
	b, err := Compile(Source{Files: map[string]string{"x/actions/t.ts": src}, Entry: "x/actions/t.ts"})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	out, err := rt.Run(context.Background(), &Execution{
		Bundle: b, Kind: KindAction, Input: json.RawMessage("{}"), Host: h,
		Info:   Info{Name: "t", ConnectionID: "c1", ProviderConfigKey: "x", Provider: "x"},
		Limits: Limits{Timeout: 30 * time.Second},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return out
}

// globalsSameJSON reports whether two JSON texts hold the same value.
func globalsSameJSON(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// globalsHelpers are prepended to every case's body.
const globalsHelpers = `
const errName = (f) => { try { f(); return 'no error'; } catch (e) { return e instanceof Error ? e.name : 'not an Error: ' + e; } };
const errMsg = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
const bytes = (...b) => new Uint8Array(b);
`

var globalsCases = []struct {
	name string
	body string
	want string
}{
	// URL
	{"url parts", `
const u = new URL('https://user:pa ss@EXAMPLE.com:8080/a/./b/../c d?q=1 2#frag ment');
return [u.href, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin];`,
		`["https://user:pa%20ss@example.com:8080/a/c%20d?q=1%202#frag%20ment", "https:", "user", "pa%20ss",
		  "example.com:8080", "example.com", "8080", "/a/c%20d", "?q=1%202", "#frag%20ment", "https://example.com:8080"]`},
	{"url default ports and case", `
return [new URL('https://example.com:443/').href, new URL('HTTP://EXAMPLE.COM:0080').href, new URL('http://h:8080').port,
  new URL('ws://h:80/x').host, new URL('wss://h:443').origin, new URL('ftp://h:21/').href, new URL('http://h?').href,
  new URL('http://h?').search, new URL('http://h#').hash];`,
		`["https://example.com/", "http://example.com/", "8080", "h", "wss://h", "ftp://h/", "http://h/?", "", ""]`},
	{"url relative references (RFC 3986)", `
const refs = ['g:h', 'g', './g', 'g/', '/g', '//g', '?y', 'g?y', '#s', 'g#s', 'g?y#s', ';x', 'g;x', '', '.', './', '..', '../',
  '../g', '../..', '../../', '../../g', '../../../g', '../../../../g', '/./g', '/../g', 'g.', '.g', 'g..', '..g', './../g',
  './g/.', 'g/./h', 'g/../h', 'g;x=1/./y', 'g;x=1/../y', 'http:g', '%2e%2E/g'];
return refs.map((r) => new URL(r, 'http://a/b/c/d;p?q').href);`,
		`["g:h", "http://a/b/c/g", "http://a/b/c/g", "http://a/b/c/g/", "http://a/g", "http://g/", "http://a/b/c/d;p?y",
		  "http://a/b/c/g?y", "http://a/b/c/d;p?q#s", "http://a/b/c/g#s", "http://a/b/c/g?y#s", "http://a/b/c/;x",
		  "http://a/b/c/g;x", "http://a/b/c/d;p?q", "http://a/b/c/", "http://a/b/c/", "http://a/b/", "http://a/b/",
		  "http://a/b/g", "http://a/", "http://a/", "http://a/g", "http://a/g", "http://a/g", "http://a/g", "http://a/g",
		  "http://a/b/c/g.", "http://a/b/c/.g", "http://a/b/c/g..", "http://a/b/c/..g", "http://a/b/g", "http://a/b/c/g/",
		  "http://a/b/c/g/h", "http://a/b/c/h", "http://a/b/c/g;x=1/y", "http://a/b/c/y", "http://a/b/c/g", "http://a/b/g"]`},
	{"url other relative forms", `
return [new URL('\\\\other\\x', 'https://h/a').href, new URL('https:foo', 'https://h/a/b').href, new URL('https:foo').href,
  new URL('/x', 'file:///C:/dir/f').href, new URL('//x/y', 'foo://h/p').href, new URL('#f', 'mailto:a@b').href,
  new URL('../x', 'foo://h/a/b').href, new URL('c', 'http://h').href, new URL(new URL('http://h/a'), 'ftp://x').href,
  new URL('?q', new URL('http://h/p#f')).href];`,
		`["https://other/x", "https://h/a/foo", "https://foo/", "file:///C:/x", "foo://x/y", "mailto:a@b#f", "foo://h/x",
		  "http://h/c", "http://h/a", "http://h/p?q"]`},
	{"url setters", `
const u = new URL('http://example.com/path?a=1#h');
u.protocol = 'https'; u.hostname = 'API.Example.org'; u.port = '8443';
u.pathname = '/v1/items list'; u.search = '?b=2&c=3'; u.hash = 'top';
u.username = 'me'; u.password = 'sec:ret';
const a = u.href;
u.port = '443';
const b = u.host;
u.protocol = 'foo'; // special to non-special: ignored
u.host = 'x.test:81';
const c = u.href;
u.port = 'abc'; // ignored
u.hostname = 'bad host'; // ignored
u.host = '';  // ignored for special URLs
const d = u.href;
u.href = 'http://other/';
u.search = '';
u.hash = '';
u.pathname = 'no-slash?#';
const e = u.href;
const m = new URL('mailto:x@y');
m.pathname = 'z'; m.host = 'h';
let err = errMsg(() => { u.href = 'not a url'; });
return [a, b, c, d, e, u.protocol, m.href, err];`,
		`["https://me:sec%3Aret@api.example.org:8443/v1/items%20list?b=2&c=3#top", "api.example.org",
		  "https://me:sec%3Aret@x.test:81/v1/items%20list?b=2&c=3#top",
		  "https://me:sec%3Aret@x.test:81/v1/items%20list?b=2&c=3#top",
		  "http://other/no-slash%3F%23", "http:", "mailto:x@y", "Invalid URL"]`},
	{"url searchParams are live both ways", `
const u = new URL('https://h/p?a=1&b=x%20y');
const sp = u.searchParams;
const before = [sp.get('a'), sp.get('b'), u.searchParams === sp];
sp.append('c', 'd e&f'); sp.set('a', '9');
const h1 = u.href;
u.search = '?z=1';
const keys = [...sp.keys()];
sp.delete('z');
const h2 = u.href;
u.href = 'https://h/?m=1&m=2';
const all = sp.getAll('m');
sp.sort();
return [before, h1, keys, h2, all, u.search];`,
		`[["1", "x y", true], "https://h/p?a=9&b=x+y&c=d+e%26f", ["z"], "https://h/p", ["1", "2"], "?m=1&m=2"]`},
	{"url percent-encoding", `
return [
  new URL('http://h/a b/é/"q"/{x}/^|?q=a b"\'<>é\u0060#f \u0060é"').href,
  new URL('http://h/a%2Fb?x=%41%zz').href,
  new URL("foo://h/?a'b").href,
  new URL('http://h/?q=😀').search,
  new URL('http://h/p#a#b').hash,
  new URL('http://h/\uD800').pathname,
];`,
		`["http://h/a%20b/%C3%A9/%22q%22/%7Bx%7D/%5E|?q=a%20b%22%27%3C%3E%C3%A9` + "`" + `#f%20%60%C3%A9%22",
		  "http://h/a%2Fb?x=%41%zz", "foo://h/?a'b", "?q=%F0%9F%98%80", "#a#b", "/%EF%BF%BD"]`},
	{"url hosts", `
return [
  new URL('http://münchen.de/').hostname,
  new URL('http://0x7f.1/').hostname,
  new URL('http://[0:0::1]:8080/').host,
  new URL('http://[2001:db8:0:0:1:0:0:1]/').hostname,
  new URL('http://[::ffff:192.168.0.1]/').hostname,
  new URL('http://EX%41MPLE.com/').hostname,
  new URL('http://192.168.1.1./').hostname,
  new URL('foo://ExAmple/').host,
  new URL('http://us@er:p@ss@h/').username,
  new URL('http://2130706433/').host,
];`,
		`["xn--mnchen-3ya.de", "127.0.0.1", "[::1]:8080", "[2001:db8::1:0:0:1]", "[::ffff:c0a8:1]", "example.com",
		  "192.168.1.1", "ExAmple", "us%40er", "127.0.0.1"]`},
	{"url opaque paths and files", `
const m = new URL('mailto:Joe@Example.COM?subject=hi there');
return [m.href, m.pathname, m.origin, m.host, new URL('file:///C:/x/../y').href, new URL('file://localhost/etc/hosts').href,
  new URL('http:\\\\h\\a\\b').href, new URL('  https://h/x\n  ').href, new URL('ht\ttps://h/\ty').href,
  new URL('blob:https://a.b:8080/uuid').origin, new URL('javascript:alert(1)').protocol, new URL('web+demo:/.//not-a-host/').href,
  new URL('file:c:\\foo').href];`,
		`["mailto:Joe@Example.COM?subject=hi%20there", "Joe@Example.COM", "null", "", "file:///C:/y", "file:///etc/hosts",
		  "http://h/a/b", "https://h/x", "https://h/y", "https://a.b:8080", "javascript:", "web+demo:/.//not-a-host/",
		  "file:///c:/foo"]`},
	{"url invalid", `
const bad = ['', 'foo', 'http://', 'http://a b/', 'http://h:99999/', 'http://h:8x/', 'http://[::1/', '//x',
  'https://exa%mple.com', 'http://user@/', 'http://[1:2:3:4:5:6:7:8:9]/', 'http://1.2.3.256/', 'http://0x100000000/',
  'http://h:1:2/', 'http://a<b/', 'file://ho:st/'];
const out = bad.map((s) => { try { new URL(s); return 'parsed ' + s; } catch (e) { return e instanceof TypeError && e.message === 'Invalid URL'; } });
return [out, errMsg(() => new URL('/x', 'nope')), errName(() => new URL()), URL.canParse('https://x'), URL.canParse('nope'),
  URL.canParse('/p', 'https://h'), URL.parse('nope'), URL.parse('/p', 'https://h').href];`,
		`[[true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true],
		  "Invalid URL", "TypeError", true, false, true, null, "https://h/p"]`},
	{"url as string and JSON", `
const u = new URL('https://h/x?y=1');
return [JSON.stringify({ u }), String(u), '' + u, u.toJSON(), Object.prototype.toString.call(u), u instanceof URL];`,
		`["{\"u\":\"https://h/x?y=1\"}", "https://h/x?y=1", "https://h/x?y=1", "https://h/x?y=1", "[object URL]", true]`},

	// URLSearchParams
	{"params constructors", `
const a = new URLSearchParams('?a=1&b=2&a=3');
const b = new URLSearchParams('x=b+c&d=%20e&f&=g&&h==i');
const c = new URLSearchParams({ x: 1, y: 'two words', z: true });
const d = new URLSearchParams([['a', '1'], ['b', '2']]);
const e = new URLSearchParams(d);
d.append('c', '3');
const f = new URLSearchParams(new Map([['m', 'n']]));
return [a.getAll('a'), [...b], c.toString(), d.toString(), e.toString(), f.toString(),
  errName(() => new URLSearchParams([['a']])), errName(() => new URLSearchParams([1])),
  new URLSearchParams().toString(), new URLSearchParams(null).size, new URLSearchParams('').size, new URLSearchParams('??a=b').toString()];`,
		`[["1", "3"], [["x", "b c"], ["d", " e"], ["f", ""], ["", "g"], ["h", "=i"]], "x=1&y=two+words&z=true", "a=1&b=2&c=3",
		  "a=1&b=2", "m=n", "TypeError", "TypeError", "", 0, 0, "%3Fa=b"]`},
	{"params serialisation", `
const p = new URLSearchParams();
p.set('q', 'a b+c&d=e%f/é~*\'()!😀');
p.append('sp ace', '');
p.append('*-._', '0');
return [p.toString(), new URLSearchParams(p.toString()).get('q') === p.get('q'), String(p)];`,
		`["q=a+b%2Bc%26d%3De%25f%2F%C3%A9%7E*%27%28%29%21%F0%9F%98%80&sp+ace=&*-._=0", true,
		  "q=a+b%2Bc%26d%3De%25f%2F%C3%A9%7E*%27%28%29%21%F0%9F%98%80&sp+ace=&*-._=0"]`},
	{"params decoding", `
const p = new URLSearchParams('k=%E2%82%AC&e=%F0%9F%98%80&bad=%zz&pct=%&half=%C3&plus=a+b%2Bc&lone=%ED%A0%80&raw=é');
return ['k', 'e', 'bad', 'pct', 'half', 'plus', 'lone', 'raw', 'missing'].map((k) => p.get(k));`,
		`["€", "😀", "%zz", "%", "\ufffd", "a b+c", "\ufffd\ufffd\ufffd", "é", null]`},
	{"params methods", `
const p = new URLSearchParams('c=1&a=2&b=3&a=1');
const seen = [];
p.forEach((v, k, o) => seen.push(k + '=' + v + (o === p)));
const r = [p.size, p.has('a'), p.has('a', '1'), p.has('a', '5'), p.get('zz')];
p.sort();
const sorted = p.toString();
p.delete('a', '2');
const afterDelete = p.toString();
p.set('b', 'x'); p.append('b', 'y'); p.set('b', 'z');
return [r, seen, sorted, afterDelete, p.toString(), [...p.entries()], [...p.values()], [...p],
  Object.prototype.toString.call(p), p[Symbol.iterator] === p.entries, JSON.stringify(p)];`,
		`[[4, true, true, false, null], ["c=1true", "a=2true", "b=3true", "a=1true"], "a=2&a=1&b=3&c=1", "a=1&b=3&c=1",
		  "a=1&b=z&c=1", [["a", "1"], ["b", "z"], ["c", "1"]], ["1", "z", "1"], [["a", "1"], ["b", "z"], ["c", "1"]],
		  "[object URLSearchParams]", true, "{}"]`},

	// TextEncoder, TextDecoder
	{"text encoder", `
const enc = new TextEncoder();
const into = new Uint8Array(5);
const r = enc.encodeInto('a€😀', into);
return [enc.encoding, Array.from(enc.encode('aé€😀')), Array.from(enc.encode('\uD800x')), enc.encode().length, r,
  Array.from(into), enc.encode('x') instanceof Uint8Array, Buffer.isBuffer(enc.encode('x'))];`,
		`["utf-8", [97, 195, 169, 226, 130, 172, 240, 159, 152, 128], [239, 191, 189, 120], 0, {"read": 2, "written": 4},
		  [97, 226, 130, 172, 0], true, false]`},
	{"text decoder", `
const d = new TextDecoder();
const fatal = new TextDecoder('utf-8', { fatal: true });
const s = new TextDecoder();
const streamed = s.decode(bytes(0xe2, 0x82), { stream: true }) + s.decode(bytes(0xac, 0xf0, 0x9f), { stream: true }) + s.decode(bytes(0x98, 0x80));
const cut = new TextDecoder();
const unfinished = cut.decode(bytes(0x61, 0xe2), { stream: true }) + cut.decode();
const bom = new TextDecoder();
const bomStreamed = bom.decode(bytes(0xef, 0xbb), { stream: true }) + bom.decode(bytes(0xbf, 0x41));
return [
  d.decode(bytes(0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80)),
  d.decode(bytes(0x61, 0xff, 0x62, 0xe2, 0x82, 0x63, 0xf0, 0x9f)),
  d.decode(bytes(0xc0, 0x80, 0xed, 0xa0, 0x80)),
  errName(() => fatal.decode(bytes(0x61, 0xff))),
  fatal.decode(bytes(0x6f, 0x6b)),
  d.decode(bytes(0xef, 0xbb, 0xbf, 0x41)),
  new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes(0xef, 0xbb, 0xbf, 0x41)),
  d.decode(), d.decode(undefined),
  d.decode(bytes(0x68, 0x69).buffer),
  d.decode(new DataView(bytes(0x6f, 0x6b).buffer)),
  d.decode(new Uint16Array([0x6968])),
  streamed, unfinished, bomStreamed,
  new TextDecoder('latin1').decode(bytes(0x80, 0xe9)),
  new TextDecoder('utf-16le').decode(bytes(0x68, 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xd8)),
  new TextDecoder(' UTF8 ').encoding, d.fatal, fatal.fatal, d.ignoreBOM,
  errName(() => new TextDecoder('nope')), errName(() => d.decode('str')),
];`,
		`["€😀", "a\ufffdb\ufffdc\ufffd", "\ufffd\ufffd\ufffd\ufffd\ufffd", "TypeError", "ok", "A", "\ufeffA", "", "", "hi", "ok", "hi",
		  "€😀", "a\ufffd", "A", "€é", "h😀\ufffd", "utf-8", false, true, false, "RangeError", "TypeError"]`},

	// atob, btoa
	{"atob and btoa", `
return [btoa('hello'), atob('aGVsbG8='), atob(' aGVs\nbG8 \t'), atob('aGVsbG8'), btoa('\xff\xfe'), atob('//4=') === '\xff\xfe',
  atob('YR=='), atob(''), btoa(''), btoa(null), atob('AAAA').length,
  errName(() => atob('a')), errName(() => atob('a*b=')), errName(() => atob('aGVsbG8==')), errName(() => atob('ab=c')),
  errName(() => btoa('€')), errName(() => atob()), errMsg(() => btoa('€'))];`,
		`["aGVsbG8=", "hello", "hello", "hello", "//4=", true, "a", "", "", "bnVsbA==", 3,
		  "InvalidCharacterError", "InvalidCharacterError", "InvalidCharacterError", "InvalidCharacterError", "InvalidCharacterError",
		  "TypeError", "The string to be encoded contains characters outside of the Latin1 range."]`},

	// Buffer
	{"buffer encodings", `
const b = Buffer.from('héllo 😀');
const out = {};
for (const enc of ['utf8', 'utf-8', 'UTF8', 'base64', 'base64url', 'hex', 'latin1', 'binary', 'ascii']) out[enc] = b.toString(enc);
out.default = b.toString();
out.roundTrips = ['utf8', 'base64', 'base64url', 'hex', 'latin1', 'binary'].map((enc) => Buffer.from(b.toString(enc), enc).equals(b));
out.b64Lenient = Array.from(Buffer.from(' +/+/\n', 'base64'));
out.b64Padded = Buffer.from('aGk=trailing', 'base64').toString();
out.urlInStd = Array.from(Buffer.from('-_-_', 'base64'));
out.stdInUrl = Array.from(Buffer.from('+/+/', 'base64url'));
out.b64url = Buffer.from([251, 255, 191, 1]).toString('base64url');
out.hexPartial = Array.from(Buffer.from('abz1', 'hex'));
out.hexOdd = Array.from(Buffer.from('ABc', 'hex'));
out.latin1 = Array.from(Buffer.from('ÿé€', 'latin1'));
out.utf16 = Array.from(Buffer.from('hi€', 'utf16le'));
out.utf16Back = Buffer.from([104, 0, 105, 0, 172, 32, 1]).toString('ucs2');
out.emoji = Buffer.from('😀').length;
return out;`,
		`{"utf8": "héllo 😀", "utf-8": "héllo 😀", "UTF8": "héllo 😀", "base64": "aMOpbGxvIPCfmIA=", "base64url": "aMOpbGxvIPCfmIA",
		  "hex": "68c3a96c6c6f20f09f9880", "latin1": "h\u00c3\u00a9llo \u00f0\u009f\u0098\u0080",
		  "binary": "h\u00c3\u00a9llo \u00f0\u009f\u0098\u0080", "ascii": "hC)llo p\u001f\u0018\u0000", "default": "héllo 😀",
		  "roundTrips": [true, true, true, true, true, true], "b64Lenient": [251, 255, 191], "b64Padded": "hi",
		  "urlInStd": [251, 255, 191], "stdInUrl": [251, 255, 191], "b64url": "-_-_AQ", "hexPartial": [171], "hexOdd": [171],
		  "latin1": [255, 233, 172], "utf16": [104, 0, 105, 0, 172, 32], "utf16Back": "hi€", "emoji": 4}`},
	{"buffer methods", `
const a = Buffer.from('ab');
const c = Buffer.concat([a, new Uint8Array([99]), Buffer.from('de')]);
const sl = c.slice(1, 3);
sl[0] = 0x42; // slice shares memory, as in Node
const ab = new Uint8Array([1, 2, 3]).buffer;
const fromAB = Buffer.from(ab);
new Uint8Array(ab)[0] = 9;
const target = Buffer.alloc(4);
const copied = Buffer.from('xyz').copy(target, 1);
return [
  c.toString(), Buffer.concat([a, a], 3).toString(), Array.from(Buffer.concat([a], 4)), Buffer.concat([]).length,
  JSON.stringify(Buffer.from('hi')), JSON.stringify({ b: Buffer.from([1]) }), Buffer.isBuffer(c), Buffer.isBuffer(new Uint8Array(1)),
  c instanceof Uint8Array, sl instanceof Buffer, c.subarray(0, 1) instanceof Buffer, sl.length, c.length,
  Buffer.alloc(3).toString('hex'), Buffer.alloc(5, 'ab').toString(), Buffer.alloc(2, 257).toString('hex'),
  Buffer.alloc(4, 'aGk=', 'base64').toString(), Buffer.allocUnsafe(2).length,
  Buffer.byteLength('😀'), Buffer.byteLength('é', 'latin1'), Buffer.byteLength('aGk=', 'base64'), Buffer.byteLength('abcd', 'hex'),
  Buffer.byteLength(new Uint8Array(7)), Buffer.byteLength(new ArrayBuffer(3)),
  c.toString('utf8', 1, 3), c.toString(undefined, 3), c.toString('hex', -5, 100), c.toString('utf8', 4, 2),
  a.equals(Buffer.from('ab')), a.equals(Buffer.from('ac')), a.equals(new Uint8Array([97, 98])),
  fromAB[0], Buffer.from([257, -1, 3.7]).toString('hex'), Buffer.from(Buffer.from('x')).toString(),
  Buffer.from({ type: 'Buffer', data: [104, 105] }).toString(), Buffer.from(new Uint16Array([0x102, 3])).toString('hex'),
  Buffer.from(new String('boxed')).toString(), Buffer.compare(Buffer.from('a'), Buffer.from('b')), a.compare(Buffer.from('a')),
  String(Buffer.from('str')), Buffer.from('x').map((v) => v + 1) instanceof Buffer, Buffer.of(1, 2) instanceof Buffer,
  copied, Array.from(target), new Buffer('hey').toString(), Buffer.from('68656c6c6f', 'hex').toString(),
  Buffer.isEncoding('UTF-8'), Buffer.isEncoding('nope'), errName(() => Buffer.from('x', 'nope')), errName(() => Buffer.from(5)),
  errName(() => Buffer.alloc(-1)), errName(() => Buffer.concat([1])),
];`,
		`["aBcde", "aba", [97, 98, 0, 0], 0, "{\"type\":\"Buffer\",\"data\":[104,105]}", "{\"b\":{\"type\":\"Buffer\",\"data\":[1]}}",
		  true, false, true, true, true, 2, 5, "000000", "ababa", "0101", "hihi", 2, 4, 1, 2, 2, 7, 3, "Bc", "de", "6142636465", "",
		  true, false, true, 9, "01ff03", "x", "hi", "0203", "boxed", -1, 1, "str", true, true,
		  3, [0, 120, 121, 122], "hey", "hello", true, false, "TypeError", "TypeError", "RangeError", "TypeError"]`},

	// crypto
	{"crypto digests", `
return [
  crypto.createHash('sha256').update('abc').digest('hex'),
  crypto.createHash('sha256').update('a').update(Buffer.from('bc')).digest('base64'),
  crypto.createHash('md5').update('').digest('hex'),
  crypto.createHash('md5').digest('hex'),
  crypto.createHash('SHA-1').update(new TextEncoder().encode('abc')).digest('hex'),
  crypto.createHash('sha512').update('abc').digest('hex').slice(0, 32),
  crypto.createHmac('sha1', 'Jefe').update('what do ya want for nothing?').digest('hex'),
  crypto.createHmac('sha256', Buffer.from('key')).update('The quick brown fox ').update('jumps over the lazy dog').digest('hex'),
  crypto.createHmac('sha256', 'k').update('x').digest('base64url'),
  crypto.createHash('md5').update('é', 'utf8').digest('base64'),
  crypto.createHash('md5').update('c3RyaW5n', 'base64').digest('hex'),
  crypto.createHash('md5').update(new Uint8Array([115, 116, 114, 105, 110, 103]).buffer).digest('latin1').length,
  Buffer.isBuffer(crypto.createHash('sha1').digest()), crypto.createHash('sha1').digest().length,
  errName(() => crypto.createHash('sha3-256')),
  errMsg(() => { const x = crypto.createHash('md5'); x.digest(); x.digest(); }),
  errMsg(() => { const x = crypto.createHash('md5'); x.digest(); x.update('a'); }),
  errName(() => crypto.createHash('md5').update(42)),
];`,
		`["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
		  "d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e", "a9993e364706816aba3e25717850c26c9cd0d89d",
		  "ddaf35a193617abacc417349ae204131", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
		  "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", "w47ciBXISJ9kc4l49EAI-FljRVRfC6po72_PXFPlcYk",
		  "Zt3Nl8/eq7L2+4qZm0vHbw==", "b45cffe084dd3d20d928bee85e7b0f21", 16, true, 20, "Error", "Digest already called",
		  "Digest already called", "TypeError"]`},
	{"crypto randomness", `
const ids = [crypto.randomUUID(), crypto.randomUUID()];
const arr = new Uint32Array(4);
const same = crypto.getRandomValues(arr) === arr;
const big = new Uint8Array(1024);
crypto.getRandomValues(big);
return [ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)), ids[0] !== ids[1], same,
  big.some((x) => x !== 0), errName(() => crypto.getRandomValues(new Float64Array(2))),
  errName(() => crypto.getRandomValues(new DataView(new ArrayBuffer(2)))), errName(() => crypto.getRandomValues([1])),
  errName(() => crypto.getRandomValues(new Uint8Array(65537))), crypto.getRandomValues(new Uint8Array(65536)).length,
  crypto.randomBytes(70000).length, Buffer.isBuffer(crypto.randomBytes(1)), crypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')),
  crypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ac')), errName(() => crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab'))),
  typeof crypto.subtle];`,
		`[true, true, true, true, "TypeMismatchError", "TypeMismatchError", "TypeError", "QuotaExceededError", 65536, 70000, true,
		  true, false, "RangeError", "undefined"]`},

	// timers
	{"timers fire in time order; clearTimeout stops one", `
const order = [];
await new Promise((resolve) => {
  // Created out of order, with margins wide enough that a slow machine
  // (the race detector, a loaded CI) cannot reorder them by how long
  // creating them takes: 10 ms between a and z was not (a loaded 2-core
  // machine under -race took longer to create the two timers between).
  setTimeout(() => order.push('b400'), 400);
  setTimeout(() => order.push('a100'), 100);
  const c = setTimeout(() => order.push('cleared'), 5);
  clearTimeout(c);
  setTimeout(() => order.push('z0'), 0);
  setTimeout(() => order.push('neg'), -5);
  setTimeout((x, y) => order.push('args' + x + y), 250, 1, 2);
  setTimeout(resolve, 450);
});
clearTimeout(12345);
clearTimeout(undefined);
return [order, typeof setTimeout(() => {}, 0), errName(() => setTimeout('code', 1))];`,
		`[["z0", "neg", "a100", "args12", "b400"], "number", "TypeError"]`},
	{"timers are tasks; intervals; immediates; microtasks", `
const order = [];
await new Promise((resolve) => {
  setTimeout(() => { order.push('t1'); Promise.resolve().then(() => order.push('micro')); }, 0);
  setTimeout(() => order.push('t2'), 0);
  const gone = setImmediate(() => order.push('gone'));
  clearImmediate(gone);
  setImmediate((x) => order.push('imm' + x), 7);
  queueMicrotask(() => order.push('qm'));
  order.push('sync');
  let n = 0;
  const iv = setInterval(() => {
    n++;
    order.push('iv' + n);
    if (n === 3) {
      clearInterval(iv);
      // Created here, not at the start, so the order does not depend on
      // how late a loaded machine runs the interval: timers with the same
      // delay fire in the order they were set, and before a later one.
      setTimeout(() => order.push('a'), 20);
      setTimeout(() => order.push('b'), 20);
      setTimeout(resolve, 40);
    }
  }, 10);
});
return order;`,
		`["sync", "qm", "t1", "micro", "t2", "imm7", "iv1", "iv2", "iv3", "a", "b"]`},
	{"Headers as fetch has them", `
const h = new Headers({ 'Content-Type': 'text/plain', 'X-A': 1 });
h.append('x-a', 2);
h.set('X-B', 'b');
const copy = new Headers(h);
copy.delete('x-b');
const fromPairs = new Headers([['K', 'v']]);
const seen = [];
h.forEach((v, k) => seen.push(k + '=' + v));
return [h.get('content-type'), h.get('X-A'), h.has('x-b'), h.get('missing'), copy.has('x-b'), copy.get('x-a'), fromPairs.get('k'), seen, [...h.keys()].length];`,
		`["text/plain", "1, 2", true, null, false, "1, 2", "v", ["content-type=text/plain", "x-a=1, 2", "x-b=b"], 3]`},
	{"no Node or network globals", `
const names = ['console', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'Buffer', 'setTimeout',
  'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'crypto', 'Headers'];
const installed = names.every((n) => {
  const d = Object.getOwnPropertyDescriptor(globalThis, n);
  return d && !d.enumerable && d.writable && d.configurable && d.value !== undefined;
});
// (typeof require is esbuild's shim inside a bundle, so the global object is asked)
const absent = ['require', 'process', 'fetch', 'XMLHttpRequest', 'WebSocket', 'DOMException', 'global', 'module', 'exports', 'fs']
  .filter((n) => n in globalThis || typeof globalThis[n] !== 'undefined');
return [typeof process, typeof fetch, typeof XMLHttpRequest, typeof WebSocket, absent, installed,
  Object.keys(globalThis).filter((k) => names.includes(k))];`,
		`["undefined", "undefined", "undefined", "undefined", [], true, []]`},
}

func TestGlobals(t *testing.T) {
	rt := NewRuntime()
	for _, c := range globalsCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := globalsRun(t, rt, &fakeHost{}, globalsHelpers+c.body)
			if !globalsSameJSON(t, out, c.want) {
				t.Errorf("got  %s\nwant %s", out, strings.Join(strings.Fields(c.want), " "))
			}
		})
	}
}

func TestGlobalsConsole(t *testing.T) {
	h := &fakeHost{}
	out := globalsRun(t, NewRuntime(), h, `
console.log('hi', { a: 1 }, [2], 3);
console.info('i'); console.debug('d'); console.warn('w'); console.error(new Error('e')); console.trace('t');
const log = console.log;
log('detached');
console.assert(1 === 1, 'not logged');
console.assert(false, 'x', 1);
setTimeout(() => { throw new Error('tick'); }, 0);
queueMicrotask(() => { throw new TypeError('micro'); });
await new Promise((resolve) => setTimeout(resolve, 5));
return typeof console.log;`)
	if string(out) != `"function"` {
		t.Fatalf("out = %s", out)
	}
	want := []string{
		`info hi {"a":1} [2] 3`, "info i", "debug d", "warn w", "error Error: e", "debug Trace: t", "info detached",
		"error Assertion failed: x 1",
		"error Uncaught exception in a microtask: TypeError: micro",
		"error Uncaught exception in a timer callback: Error: tick",
	}
	if !slices.Equal(h.logs, want) {
		t.Fatalf("logs = %q\nwant   %q", h.logs, want)
	}
}

// The request helpers of nango.js lean on these globals: URLSearchParams
// bodies and string params, binary bodies as Buffers.
func TestGlobalsWithNangoRequests(t *testing.T) {
	h := &fakeHost{respond: func(req *HTTPRequest) *HTTPResponse {
		if req.Endpoint == "/bin" {
			return &HTTPResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/octet-stream"}, Body: []byte{0, 255, 1}}
		}
		return &HTTPResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{}`)}
	}}
	out := globalsRun(t, NewRuntime(), h, `
await nango.post({ endpoint: '/form', data: new URLSearchParams({ a: '1', b: 'x y' }), params: 'p=1&q=a+b' });
await nango.post({ endpoint: '/raw', data: Buffer.from('hi') });
const r = await nango.get({ endpoint: '/bin' });
return [Buffer.isBuffer(r.data), Array.from(r.data)];`)
	if string(out) != `[true,[0,255,1]]` {
		t.Fatalf("out = %s", out)
	}
	if len(h.requests) != 3 {
		t.Fatalf("requests = %d", len(h.requests))
	}
	form := h.requests[0]
	if form.Body == nil || *form.Body != "a=1&b=x+y" || form.Headers["Content-Type"] != "application/x-www-form-urlencoded" {
		t.Fatalf("form request = %+v", form)
	}
	if form.Params["p"] != "1" || form.Params["q"] != "a b" {
		t.Fatalf("params = %v", form.Params)
	}
	if h.requests[1].BodyBase64 != "aGk=" {
		t.Fatalf("raw request = %+v", h.requests[1])
	}
}

func BenchmarkGlobalsVMStart(b *testing.B) {
	rt := NewRuntime()
	bun := compileOne(b, map[string]string{"x/actions/t.ts": "import { createAction } from 'nango';\nexport default createAction({ exec: async () => 1 });"}, "x/actions/t.ts")
	for b.Loop() {
		g := &gate{}
		x, err := rt.start(context.Background(), &Execution{Bundle: bun, Host: &fakeHost{}}, g)
		if err != nil {
			b.Fatal(err)
		}
		x.close()
		g.finish()
	}
}
