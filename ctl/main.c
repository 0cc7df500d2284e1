/*
 * main.c — droverctl's command line: global options, then a verb from the
 * table in verbs.c, then that verb's options and arguments.
 *
 *   droverctl [--socket PATH] [-o table|json] VERB [VERB OPTIONS] [ARGS]
 *
 * -o (and -h) may also be given after the verb. Nothing else is set up
 * before the verb runs: droverctl is started by scripts in loops, so its
 * start-up stays minimal.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

#define GLOBAL_USAGE	"usage: droverctl [--socket PATH] [-o table|json] VERB ...\n"

enum { OPT_SOCKET = 256, OPT_VERSION };

static const struct option global_longopts[] = {
	{ "socket",	required_argument,	NULL, OPT_SOCKET },
	{ "output",	required_argument,	NULL, 'o' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	const struct verb	*v;

	fputs(GLOBAL_USAGE, f);
	fputs("\noptions:\n"
	    "  --socket PATH      droverd's control socket (default: "
	    "$DROVER_SOCKET,\n"
	    "                     else droverd.sock in the run directory)\n"
	    "  -o, --output FMT   table (default) or json (the API's JSON)\n"
	    "  -h, --help         this help; VERB -h: the verb's\n"
	    "  --version          print the version\n"
	    "\nverbs:\n", f);
	for (v = verbs; v->name != NULL; v++)
		fprintf(f, "  %-28s %s\n", v->usage, v->help);
	fputs("\nexit status: 0 ok, 1 the operation failed, 2 usage error, "
	    "3 droverd cannot be reached\n", f);
}

int
ctl_usage_error(const struct ctl *ctl, const char *fmt, ...)
{
	va_list	ap;

	fputs("droverctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ctl->verb != NULL)
		fprintf(stderr, "usage: droverctl %s\n", ctl->verb->usage);
	else
		fputs(GLOBAL_USAGE, stderr);
	return CTL_USAGE;
}

bool
ctl_has_opt(const struct ctl *ctl, int ch)
{
	size_t	i;

	for (i = 0; i < ctl->nopts; i++)
		if (ctl->opts[i].ch == ch)
			return true;
	return false;
}

static int
set_output(struct ctl *ctl, const char *s)
{
	if (strcmp(s, "table") == 0)
		ctl->output = OUTPUT_TABLE;
	else if (strcmp(s, "json") == 0)
		ctl->output = OUTPUT_JSON;
	else
		return ctl_usage_error(ctl,
		    "unknown output format '%s' (expected table or json)", s);
	return CTL_OK;
}

/* getopt's '?' and ':' answers as a usage error. */
static int
bad_option(const struct ctl *ctl, int ch, char **argv)
{
	const char	*arg = argv[optind - 1];

	if (ch == ':')
		return ctl_usage_error(ctl, "option %s needs an argument", arg);
	if (optopt != 0 && optopt < 256)
		return ctl_usage_error(ctl, "unknown option -%c", optopt);
	return ctl_usage_error(ctl, "unknown option %s", arg);
}

/*
 * Options before the verb. Returns -1 to go on with the verb at
 * argv[*verb_index], or an exit code.
 */
static int
parse_global(struct ctl *ctl, int argc, char **argv, int *verb_index)
{
	int	ch, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:ho:", global_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_SOCKET:
			ctl->socket_path = optarg;
			break;
		case 'o':
			if ((r = set_output(ctl, optarg)) != CTL_OK)
				return r;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case OPT_VERSION:
			printf("droverctl %s\n", DROVER_VERSION);
			return CTL_OK;
		default:
			return bad_option(ctl, ch, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(ctl, "no verb given");
	*verb_index = optind;
	return -1;
}

/* The verb's options merged with those valid after any verb. */
static struct option *
verb_longopts(const struct verb *v)
{
	static const struct option	 common[] = {
		{ "output",	required_argument,	NULL, 'o' },
		{ "help",	no_argument,		NULL, 'h' },
	};
	struct option			*o;
	size_t				 n = 0, i;

	while (v->longopts != NULL && v->longopts[n].name != NULL)
		n++;
	o = xcalloc(n + nitems(common) + 1, sizeof(*o));
	for (i = 0; i < n; i++)
		o[i] = v->longopts[i];
	memcpy(o + n, common, sizeof(common));
	return o;
}

/* Options and arguments after the verb (argv[0] is the verb). */
static int
parse_verb(struct ctl *ctl, int argc, char **argv)
{
	const struct verb	*v = ctl->verb;
	struct option		*longopts = verb_longopts(v);
	char			*shortopts;
	int			 ch, r = -1;

	xasprintf(&shortopts, ":ho:%s", v->shortopts ? v->shortopts : "");
	ctl->opts = xcalloc((size_t)argc, sizeof(*ctl->opts));
	optind = 0;		/* GNU getopt: start afresh */
	while (r == -1 && (ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: droverctl %s\n  %s\n", v->usage, v->help);
			r = CTL_OK;
		} else if (ch == 'o') {
			if ((r = set_output(ctl, optarg)) == CTL_OK)
				r = -1;
		} else if (ch == '?' || ch == ':')
			r = bad_option(ctl, ch, argv);
		else {
			ctl->opts[ctl->nopts].ch = ch;
			ctl->opts[ctl->nopts++].arg = optarg;
		}
	}
	free(shortopts);
	free(longopts);
	if (r != -1)
		return r;
	ctl->args = argv + optind;
	ctl->nargs = argc - optind;
	if (ctl->nargs < v->min_args)
		return ctl_usage_error(ctl, "%s: missing argument", v->name);
	if (v->max_args >= 0 && ctl->nargs > v->max_args)
		return ctl_usage_error(ctl, "%s: unexpected argument '%s'",
		    v->name, ctl->args[v->max_args]);
	return -1;
}

static void
resolve_socket(struct ctl *ctl)
{
	const char	*env = getenv("DROVER_SOCKET");
	char		*dir;

	if (ctl->socket_path != NULL)
		return;
	if (env != NULL && *env != '\0') {
		ctl->socket_path = env;
		return;
	}
	dir = default_run_dir();
	xasprintf(&ctl->socket_alloc, "%s/droverd.sock", dir);
	free(dir);
	ctl->socket_path = ctl->socket_alloc;
}

int
main(int argc, char **argv)
{
	struct ctl	 ctl = { .output = OUTPUT_TABLE };
	int		 vi = 0, r;

	if ((r = parse_global(&ctl, argc, argv, &vi)) != -1)
		return r;
	if ((ctl.verb = verb_find(argv[vi])) == NULL)
		return ctl_usage_error(&ctl, "unknown verb '%s'", argv[vi]);
	if ((r = parse_verb(&ctl, argc - vi, argv + vi)) == -1) {
		if (ctl.verb->flags & VERB_DAEMON)
			resolve_socket(&ctl);
		r = ctl.verb->handler(&ctl);
	}
	if (fflush(stdout) != 0 && r == CTL_OK)
		r = CTL_FAILED;
	free(ctl.opts);
	free(ctl.socket_alloc);
	return r;
}
