/*
 * verb-completion.c — `droverctl completion bash`: a bash completion
 * script made from the verb table, so that it knows every verb, each
 * verb's options and what each argument is, and cannot drift from them.
 *
 * What an argument is comes from the verb's usage line: a word naming
 * SERVICE completes service names (asked from droverd as the completion
 * runs: `droverctl -o json status`, silently), FILE or DIR completes
 * paths, lower-case words ("history|undo", "bash") complete themselves,
 * anything else nothing. The same holds for an option's argument ("-f
 * FILE|DIR"); -o completes table and json.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

/* The option parsing common to every verb (main.c's verb_longopts). */
#define COMMON_OPTS	"-o --output -h --help"
#define COMMON_ARGOPTS	"-o --output"
#define GLOBAL_OPTS	"--socket -o --output -h --help --version"

static const char completion_head[] =
"# bash completion for droverctl; printed by `droverctl completion bash`.\n"
"# Load it with: source <(droverctl completion bash)\n"
"\n"
"# The services droverd knows, one a line; nothing when it cannot be asked.\n"
"_droverctl_services()\n"
"{\n"
"\t\"$@\" -o json status 2>/dev/null </dev/null |\n"
"\t    grep -o '\"name\": *\"[a-z0-9][a-z0-9-]*\"' |\n"
"\t    sed 's/.*\"\\([a-z0-9-]*\\)\"$/\\1/'\n"
"}\n"
"\n"
"# _droverctl_complete KIND: COMPREPLY for an argument of that kind.\n"
"_droverctl_complete()\n"
"{\n"
"\tlocal kind=$1 cur=$2 words\n"
"\tshift 2\n"
"\tcase $kind in\n"
"\tservice)\n"
"\t\tCOMPREPLY=($(compgen -W \"$(_droverctl_services \"$@\")\" -- \"$cur\"));;\n"
"\tfile)\n"
"\t\tif declare -F _filedir >/dev/null; then\n"
"\t\t\t_filedir\n"
"\t\telse\n"
"\t\t\tcompopt -o filenames 2>/dev/null\n"
"\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
"\t\tfi;;\n"
"\toutput)\n"
"\t\tCOMPREPLY=($(compgen -W 'table json' -- \"$cur\"));;\n"
"\tw:*)\n"
"\t\twords=${kind#w:}\n"
"\t\tCOMPREPLY=($(compgen -W \"${words//:/ }\" -- \"$cur\"));;\n"
"\tesac\n"
"}\n"
"\n"
"_droverctl()\n"
"{\n"
"\tlocal cur=${COMP_WORDS[COMP_CWORD]-} prev= w verb= npos=0 i kind\n"
"\tlocal opts argopts pos rep argkind\n"
"\tlocal -a cmd\n"
"\tCOMPREPLY=()\n"
"\t((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]-}\n"
"\tcmd=(\"${COMP_WORDS[0]/#\\~/$HOME}\")\n"
"\t# The global options and the verb.\n"
"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
"\t\tw=${COMP_WORDS[i]-}\n"
"\t\tcase $w in\n"
"\t\t--socket) cmd+=(--socket \"${COMP_WORDS[i + 1]-}\"); i=$((i + 1));;\n"
"\t\t--socket=*) cmd+=(\"$w\");;\n"
"\t\t-o | --output) i=$((i + 1));;\n"
"\t\t-*) ;;\n"
"\t\t*) verb=$w; break;;\n"
"\t\tesac\n"
"\tdone\n"
"\tif [ -z \"$verb\" ]; then\n"
"\t\tcase $prev in\n"
"\t\t--socket) _droverctl_complete file \"$cur\"; return;;\n"
"\t\t-o | --output) _droverctl_complete output \"$cur\"; return;;\n"
"\t\tesac\n"
"\t\tif [[ $cur == -* ]]; then\n"
"\t\t\tCOMPREPLY=($(compgen -W '" GLOBAL_OPTS "' -- \"$cur\"))\n"
"\t\telse\n"
"\t\t\tCOMPREPLY=($(compgen -W \"$_droverctl_verbs\" -- \"$cur\"))\n"
"\t\tfi\n"
"\t\treturn\n"
"\tfi\n"
"\t_droverctl_verb \"$verb\" || return\n"
"\t# How many arguments come before the one being completed.\n"
"\tfor ((i = i + 1; i < COMP_CWORD; i++)); do\n"
"\t\tw=${COMP_WORDS[i]-}\n"
"\t\tif [[ \" $argopts \" == *\" $w \"* ]]; then\n"
"\t\t\ti=$((i + 1))\n"
"\t\telif [[ $w != -* ]]; then\n"
"\t\t\tnpos=$((npos + 1))\n"
"\t\tfi\n"
"\tdone\n"
"\tif [[ \" $argopts \" == *\" $prev \"* ]]; then\n"
"\t\targkind=none\n"
"\t\t_droverctl_argkind \"$verb\" \"$prev\"\n"
"\t\t_droverctl_complete \"$argkind\" \"$cur\" \"${cmd[@]}\"\n"
"\t\treturn\n"
"\tfi\n"
"\tif [[ $cur == -* ]]; then\n"
"\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
"\t\treturn\n"
"\tfi\n"
"\tset -- $pos\n"
"\tif ((npos < $#)); then\n"
"\t\tshift $npos\n"
"\t\tkind=$1\n"
"\telif [ -n \"$rep\" ] && (($# > 0)); then\n"
"\t\tkind=${!#}\n"
"\telse\n"
"\t\treturn\n"
"\tfi\n"
"\t_droverctl_complete \"$kind\" \"$cur\" \"${cmd[@]}\"\n"
"}\n";

/* What a usage word names: "service", "file", "w:a:b" for literal words,
 * or "none". */
static char *
word_kind(const char *word)
{
	char		*k, *p;
	const char	*s;

	if (strstr(word, "SERVICE") != NULL)
		return xstrdup("service");
	if (strstr(word, "FILE") != NULL || strstr(word, "DIR") != NULL)
		return xstrdup("file");
	for (s = word; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && *s != '-' && *s != '|')
			return xstrdup("none");
	xasprintf(&k, "w:%s", word);
	for (p = k; *p != '\0'; p++)
		if (*p == '|')
			*p = ':';
	return k;
}

/* The usage line's words after the verb's name, brackets removed; a
 * word that was inside [...] is marked by a leading '?'. */
static char **
usage_words(const struct verb *v, size_t *n)
{
	char	*copy = xstrdup(v->usage), *save = NULL, *w, **out = NULL;
	size_t	 len;
	bool	 inside = false, opt;

	*n = 0;
	strtok_r(copy, " ", &save);		/* the verb */
	while ((w = strtok_r(NULL, " ", &save)) != NULL) {
		opt = inside;
		if (*w == '[') {
			inside = opt = true;
			w++;
		}
		len = strlen(w);
		if (len > 0 && w[len - 1] == ']' && strchr(w, '[') == NULL) {
			w[len - 1] = '\0';
			inside = false;
		}
		out = xreallocarray(out, *n + 1, sizeof(*out));
		xasprintf(&out[(*n)++], "%s%s", opt ? "?" : "", w);
	}
	free(copy);
	return out;
}

static void
words_free(char **w, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

static const char *
bare(const char *w)
{
	return *w == '?' ? w + 1 : w;
}

/* Does `opt` ("-f", "--to-revision") take an argument in verb v? */
static bool
opt_takes_arg(const struct verb *v, const char *opt)
{
	const struct option	*o;
	const char		*p;

	if (opt[1] != '-') {
		p = v->shortopts != NULL ? strchr(v->shortopts, opt[1]) : NULL;
		return p != NULL && opt[1] != ':' && p[1] == ':';
	}
	for (o = v->longopts; o != NULL && o->name != NULL; o++)
		if (strcmp(o->name, opt + 2) == 0)
			return o->has_arg == required_argument;
	return false;
}

/* "pos='service file' rep=1": the kinds of the positional arguments. */
static void
print_positionals(const struct verb *v)
{
	char	**w, *k;
	size_t	  n, i;
	bool	  rep = false, first = true, last_pos = false;

	w = usage_words(v, &n);
	fputs(" pos='", stdout);
	for (i = 0; i < n; i++) {
		if (bare(w[i])[0] == '-') {
			if (opt_takes_arg(v, bare(w[i])))
				i++;
			last_pos = false;
		} else if (strcmp(bare(w[i]), "...") == 0)
			rep = rep || last_pos;
		else {
			k = word_kind(bare(w[i]));
			printf("%s%s", first ? "" : " ", k);
			free(k);
			first = false;
			last_pos = true;
		}
	}
	printf("' rep=%s;", rep ? "1" : "");
	words_free(w, n);
}

/* "opts='-f --filename ...' argopts='-f --filename ...'". */
static void
print_options(const struct verb *v)
{
	const struct option	*o;
	const char		*s;
	int			 pass;

	for (pass = 0; pass < 2; pass++) {
		printf(" %s='", pass == 0 ? "opts" : "argopts");
		for (s = v->shortopts; s != NULL && *s != '\0'; s++)
			if (*s != ':' && (pass == 0 || s[1] == ':'))
				printf("-%c ", *s);
		for (o = v->longopts; o != NULL && o->name != NULL; o++)
			if (pass == 0 || o->has_arg == required_argument)
				printf("--%s ", o->name);
		printf("%s';", pass == 0 ? COMMON_OPTS : COMMON_ARGOPTS);
	}
}

/* The kind of each option argument the usage line names ("-f FILE"),
 * and -o's; a long option also under its short name's usage word. */
static void
print_argkinds(const struct verb *v)
{
	const struct option	*o;
	char			**w, *k;
	size_t			  n, i;

	w = usage_words(v, &n);
	printf("\t%s)\n\t\tcase $2 in\n\t\t-o | --output) argkind=output;;\n",
	    v->name);
	for (i = 0; i + 1 < n; i++) {
		if (bare(w[i])[0] != '-' || !opt_takes_arg(v, bare(w[i])))
			continue;
		k = word_kind(bare(w[i + 1]));
		printf("\t\t%s", bare(w[i]));
		for (o = v->longopts; o != NULL && o->name != NULL; o++)
			if (bare(w[i])[1] != '-' && o->val == bare(w[i])[1])
				printf(" | --%s", o->name);
		printf(") argkind=%s;;\n", k);
		free(k);
	}
	fputs("\t\tesac;;\n", stdout);
	words_free(w, n);
}

static void
print_script(void)
{
	const struct verb	*v;

	fputs(completion_head, stdout);
	fputs("\n_droverctl_verbs='", stdout);
	for (v = verbs; v->name != NULL; v++)
		printf("%s%s", v == verbs ? "" : " ", v->name);
	fputs("'\n\n# _droverctl_verb VERB: its opts, argopts, pos and rep.\n"
	    "_droverctl_verb()\n{\n\tcase $1 in\n", stdout);
	for (v = verbs; v->name != NULL; v++) {
		printf("\t%s)", v->name);
		print_options(v);
		print_positionals(v);
		fputs(";\n", stdout);
	}
	fputs("\t*) return 1;;\n\tesac\n}\n\n"
	    "# _droverctl_argkind VERB OPTION: sets argkind.\n"
	    "_droverctl_argkind()\n{\n\tcase $1 in\n", stdout);
	for (v = verbs; v->name != NULL; v++)
		print_argkinds(v);
	fputs("\tesac\n}\n\ncomplete -F _droverctl droverctl\n", stdout);
}

int
verb_completion(struct ctl *ctl)
{
	if (strcmp(ctl->args[0], "bash") != 0)
		return ctl_usage_error(ctl, "completion: unknown shell '%s' "
		    "(expected bash)", ctl->args[0]);
	print_script();
	return CTL_OK;
}
