#!/bin/bash
# The man pages, built with the programs, against the programs:
# - every page renders without a groff warning, and whatis (lexgrog)
#   reads its NAME line; each .gz is its page compressed;
# - drover.yaml(5) has an entry for every field of the parser's field
#   table (drover-mangen --fields), manifest fields under FIELDS and probe
#   fields under PROBE FIELDS, and no entry for anything else; each entry
#   states the field's default (or that it is required);
# - the other way round, the parser accepts every field the page lists
#   set to the default the page gives (manifests written from the page,
#   checked with droverctl validate), and refuses a key the page lacks;
# - droverd(8) and drover-agent(8) document exactly the options of
#   droverd --help and drover-agent --help; droverctl(1) has an entry for
#   every verb of the verb table and names every option of every verb.
. "$(dirname "$0")/lib.sh"

PAGES=$DROVER_BIN/packaging/man
command -v man >/dev/null || skip "man (man-db) is not installed"
command -v lexgrog >/dev/null || skip "lexgrog (man-db) is not installed"
command -v gzip >/dev/null || fail "gzip is missing"

# render PAGE WIDTH: the page as text, groff's warnings in $TMP/warn.
render() {
	LC_ALL=C.UTF-8 MANWIDTH=$2 man --warnings -E UTF-8 -l "$1" \
		2>"$TMP/warn"
}

for p in droverd.8 drover-agent.8 droverctl.1 drover.yaml.5; do
	[ -s "$PAGES/$p" ] || fail "$p was not built"
	[ -s "$PAGES/$p.gz" ] || fail "$p.gz was not built"
	gzip -dc "$PAGES/$p.gz" | cmp -s - "$PAGES/$p" ||
		fail "$p.gz is not $p compressed"
	for w in 80 250; do
		render "$PAGES/$p" "$w" >"$TMP/$p.$w.txt" ||
			fail "man -l $p failed"
		[ -s "$TMP/warn" ] && fail "$p (width $w): $(cat "$TMP/warn")"
	done
	name=${p%.*}
	lexgrog "$PAGES/$p" | grep -q "\"$name - " ||
		fail "lexgrog cannot read the NAME of $p: $(lexgrog "$PAGES/$p")"
	grep -q '@[A-Z_]*@' "$PAGES/$p" && fail "$p has an unsubstituted @VAR@"
done
log "pages render cleanly"

# --- drover.yaml(5) and the field table -----------------------------------
"$DROVER_BIN/drover-mangen" --fields >"$TMP/fields.tsv" ||
	fail "drover-mangen --fields failed"
[ "$(grep -c '^manifest' "$TMP/fields.tsv")" -ge 40 ] ||
	fail "drover-mangen --fields lists too few fields"

mkdir -p "$TMP/check"
cat >"$TMP/fields.py" <<'EOF'
import re, sys

fields_tsv, page_txt, tmp = sys.argv[1:4]
table = {"manifest": {}, "probe": {}}
for line in open(fields_tsv):
    kind, path, typ, default = line.rstrip("\n").split("\t")
    table[kind][path] = (typ, default)

# Entries of a section: the tag line "       PATH (TYPE)" and the indented
# lines below it, joined.
sections = {}
cur = None
for line in open(page_txt):
    line = line.rstrip("\n")
    if re.match(r"^[A-Z]", line):
        cur = sections.setdefault(line.strip(), [])
        continue
    if cur is not None:
        cur.append(line)

def entries(name):
    out, tag = {}, None
    for line in sections.get(name, []):
        m = re.match(r"^ {7}(\S+) \((.+)\)$", line)
        if m:
            tag = m.group(1)
            if tag in out:
                sys.exit("%s: %s listed twice" % (name, tag))
            out[tag] = [m.group(2), ""]
        elif tag and line.startswith(" " * 14):
            out[tag][1] += " " + line.strip()
        elif not line.startswith(" " * 7):
            tag = None
    return out

problems = []
page = {"manifest": entries("FIELDS"), "probe": entries("PROBE FIELDS")}
for kind, sec in (("manifest", "FIELDS"), ("probe", "PROBE FIELDS")):
    for path, (typ, default) in table[kind].items():
        e = page[kind].get(path)
        if e is None:
            problems.append("%s: %s (from the field table) is missing"
                            % (sec, path))
            continue
        if e[0] != typ:
            problems.append("%s: %s: type %r, the table says %r"
                            % (sec, path, e[0], typ))
        if default != "-" and ("Default: %s." % default) not in e[1]:
            problems.append("%s: %s: no 'Default: %s.' in %r"
                            % (sec, path, default, e[1]))
        if "Change: " not in e[1]:
            problems.append("%s: %s: no change class" % (sec, path))
    for path in page[kind]:
        if path not in table[kind]:
            problems.append("%s: %s is not in the field table" % (sec, path))
if problems:
    sys.exit("\n".join(problems))

# Manifests written from the page alone: each field at the default the
# page gives; a required one (no default) at a value of its type.
def default_of(kind, path):
    m = re.search(r"Default: (.+?)\.(?:\s|$)", page[kind][path][1])
    if m:
        return m.group(1)
    if "Required." not in page[kind][path][1] and path != "name":
        sys.exit("%s: neither a default nor required" % path)
    return {"list of strings": '["/bin/true"]', "port": "8080",
            "name": None}[page[kind][path][0]]

def nest(pairs):
    root = {}
    for path, value in pairs:
        node, keys = root, path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return root

def yaml(node, indent=""):
    out = ""
    for k, v in node.items():
        if isinstance(v, dict):
            out += "%s%s:\n%s" % (indent, k, yaml(v, indent + "  "))
        else:
            out += "%s%s: %s\n" % (indent, k, v)
    return out

top = [(p, default_of("manifest", p)) for p in page["manifest"]
       if p != "name" and not p.startswith("health.")]
longform = [(p, default_of("manifest", p)) for p in page["manifest"]
            if p.startswith("health.")]
cmd = ("command", '["/bin/true"]')
probe = lambda kind: [(p, default_of("probe", p)) for p in page["probe"]
                      if "." not in p or p.startswith(kind + ".")]
probes = ([("health.startup." + p, v) for p, v in probe("exec")] +
          [("health.liveness." + p, v) for p, v in probe("tcp")] +
          [("health.readiness." + p, v) for p, v in probe("http")])
docs = {
    "every-field": top,
    "health-long-null": [cmd] + longform,
    "health-long": [cmd] + probes,
    "health-short": [cmd] + [("health." + p, v) for p, v in probe("http")],
}
for name, pairs in docs.items():
    with open("%s/check/%s.yaml" % (tmp, name), "w") as f:
        f.write(yaml(nest(pairs)))
EOF
python3 "$TMP/fields.py" "$TMP/fields.tsv" "$TMP/drover.yaml.5.250.txt" \
	"$TMP" || fail "drover.yaml(5) and the field table differ"
log "drover.yaml(5) lists every field of the table, with its default"

for f in "$TMP"/check/*.yaml; do
	ctl validate "$f" >"$TMP/out" 2>&1 ||
		fail "the parser refuses $(basename "$f"), written from the" \
			"page's fields and defaults: $(cat "$TMP/out")" \
			"$(cat "$f")"
done
{ cat "$TMP/check/every-field.yaml"; echo "not_a_field: 1"; } \
	>"$TMP/unknown.yaml"
ctl validate "$TMP/unknown.yaml" >"$TMP/out" 2>&1 &&
	fail "the parser accepts a key the page does not list"
grep -q "not_a_field" "$TMP/out" || fail "unknown key not named: $(cat "$TMP/out")"
log "the parser takes every field of the page at the page's default"

# --- the hand-written pages and the programs ------------------------------
# section PAGE TITLE: the lines of one section of a page rendered at 250.
section() {
	awk -v t="$2" '/^[A-Z]/ { on = ($0 == t); next } on' "$TMP/$1.250.txt"
}
# same_set WHAT EXPECTED GOT: the two lists (one word a line) are equal.
same_set() {
	local missing extra
	missing=$(comm -23 <(sort -u <<<"$2") <(sort -u <<<"$3") | xargs)
	extra=$(comm -13 <(sort -u <<<"$2") <(sort -u <<<"$3") | xargs)
	[ -z "$missing" ] || fail "$1: missing $missing"
	[ -z "$extra" ] || fail "$1: documents $extra, which the program lacks"
}

for prog in droverd drover-agent; do
	want=$("$DROVER_BIN/$prog" --help | grep -o -- '--[a-z-]*' | sort -u)
	want=$(printf '%s\n--help\n' "$want")
	got=$(section "$prog.8" OPTIONS | grep -E '^ {7}-' |
		grep -o -- '^ *--[a-z-]*' | tr -d ' ')
	same_set "$prog(8) OPTIONS against $prog --help" "$want" "$got"
done

verbs=$(ctl --help | awk '/^verbs:/ { on = 1; next } /^$/ { on = 0 }
	on { print $1 }')
[ "$(wc -l <<<"$verbs")" -ge 10 ] || fail "cannot read the verbs of --help"
got=$(section droverctl.1 VERBS | grep -E '^ {7}[a-z]' | awk '{ print $1 }')
same_set "droverctl(1) VERBS against the verb table" "$verbs" "$got"
# Every option of every verb, as the completion script (made from the
# verb table) lists them, and the global ones.
opts=$(ctl completion bash | sed -n "s/^	[a-z]*) opts='\([^']*\)'.*/\1/p" |
	tr ' ' '\n' | grep . | sort -u)
for o in $opts --socket --version; do
	grep -q -- "$o\b" "$TMP/droverctl.1.250.txt" ||
		fail "droverctl(1) does not mention $o"
done
log "droverd(8), drover-agent(8) and droverctl(1) match the programs"

pass
