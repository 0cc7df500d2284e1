/*
 * assign.c — the service table, and applying an assignment to it.
 *
 * An assignment is level-triggered: it names every service that should
 * run here with its revision's spec, instance count, enabled flag and
 * generations. An entry may also list its instances one by one as
 * "slots" [[index, revision, restart_gen], ...], with the specs of the
 * revisions other than the current one under "specs": that is how
 * droverd runs two revisions side by side during a rollout. It is persisted (atomically, only when it changed) to
 * <state dir>/agent/assignment.json before anything acts on it, so a
 * restarted agent supervises the same services without droverd.
 *
 * The table is an array of services sorted by name. A service that is no
 * longer assigned stays in it until its last instance is gone. A spec is
 * parsed only when its revision is new: a repeated assignment costs a
 * lookup per service and touches no process.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "link.h"
#include "log.h"
#include "util.h"

#define ASSIGN_INSTANCES_MAX	10000
/* Indexes of slots: instances plus a rollout's surge. */
#define ASSIGN_INDEX_MAX	(2 * ASSIGN_INSTANCES_MAX)

/* One entry of an "assign" message, checked but not yet applied. */
struct assign_entry {
	const char	*name;
	const char	*revision;
	const json_t	*spec;
	const json_t	*slots;		/* NULL: indexes 0..count-1 */
	const json_t	*specs;		/* revision -> spec, for slots */
	unsigned	 count;
	bool		 enabled;
	int64_t		 restart_gen;
	int64_t		 start_gen;
};

static struct svc	**svcs;
static size_t		  nsvcs;
static size_t		  capsvcs;
static char		 *assign_path;
static uint64_t		  assign_saved_hash;
static bool		  assign_saved;
static bool		  assign_busy;	/* converging: keep services alive */

int
assign_init(void)
{
	char	*dir;
	int	 r;

	xasprintf(&dir, "%s/agent", agent.state_dir);
	r = mkdir_p(dir, 0755);
	xasprintf(&assign_path, "%s/assignment.json", dir);
	free(dir);
	return r;
}

/* Binary search; returns the service or NULL and its insertion point. */
static struct svc *
svc_find(const char *name, size_t *pos)
{
	size_t	lo = 0, hi = nsvcs, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, svcs[mid]->name);
		if (c == 0) {
			*pos = mid;
			return svcs[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*pos = lo;
	return NULL;
}

static struct svc *
svc_new(const char *name, size_t pos)
{
	struct svc	*svc = xcalloc(1, sizeof(*svc));

	svc->name = xstrdup(name);
	if (nsvcs == capsvcs) {
		capsvcs = capsvcs ? capsvcs * 2 : 16;
		svcs = xreallocarray(svcs, capsvcs, sizeof(*svcs));
	}
	memmove(&svcs[pos + 1], &svcs[pos], (nsvcs - pos) * sizeof(*svcs));
	svcs[pos] = svc;
	nsvcs++;
	return svc;
}

static void
want_clear(struct svc *svc)
{
	unsigned	i;

	for (i = 0; i < svc->nwant; i++)
		spec_unref(svc->want[i].spec);
	free(svc->want);
	svc->want = NULL;
	svc->nwant = 0;
}

static void
svc_free(struct svc *svc)
{
	size_t		pos;
	unsigned	i;

	if (svc_find(svc->name, &pos) == svc) {
		memmove(&svcs[pos], &svcs[pos + 1],
		    (nsvcs - pos - 1) * sizeof(*svcs));
		nsvcs--;
	}
	for (i = 0; i < svc->ninst; i++)
		supervise_free(svc->inst[i]);
	listen_free_all(svc);
	free(svc->inst);
	want_clear(svc);
	spec_unref(svc->spec);
	free(svc->name);
	free(svc);
}

static void
svc_resize(struct svc *svc, unsigned n)
{
	if (n > svc->ninst) {
		svc->inst = xreallocarray(svc->inst, n, sizeof(*svc->inst));
		memset(&svc->inst[svc->ninst], 0,
		    (n - svc->ninst) * sizeof(*svc->inst));
		svc->ninst = n;
		return;
	}
	while (svc->ninst > n && svc->inst[svc->ninst - 1] == NULL)
		svc->ninst--;
	if (svc->ninst == 0) {
		free(svc->inst);
		svc->inst = NULL;
	}
}

/* Converge every instance of one service; may free the service. */
static void
svc_converge(struct svc *svc)
{
	struct inst	*inst;
	unsigned	 i;
	bool		 busy = assign_busy;

	assign_busy = true;
	for (i = 0; i < svc->ninst; i++) {
		if (svc->inst[i] != NULL)
			supervise_converge(svc->inst[i]);
	}
	if (svc->assigned) {
		svc_resize(svc, svc->nwant);
		for (i = 0; i < svc->nwant; i++) {
			if (svc->inst[i] != NULL || svc->want[i].spec == NULL)
				continue;
			inst = supervise_new(svc, i);
			svc->inst[i] = inst;
			svc->live++;
			supervise_converge(inst);
		}
	}
	svc_resize(svc, svc->assigned ? svc->nwant : 0);
	assign_busy = busy;
	assign_svc_check(svc);
}

void
assign_svc_check(struct svc *svc)
{
	if (!assign_busy && !svc->assigned && svc->live == 0)
		svc_free(svc);
}

/* Slots: [index, revision, gen] each, indexes distinct and bounded. */
static int
assign_check_slots(const struct assign_entry *e, char **cause)
{
	json_t		*slot;
	const char	*rev;
	json_int_t	 index, gen;
	char		*seen;
	size_t		 i;

	*cause = NULL;
	if (!json_is_array(e->slots) ||
	    json_array_size(e->slots) > ASSIGN_INSTANCES_MAX)
		return xasprintf(cause, "%s: invalid slots", e->name), -1;
	if (e->specs != NULL && !json_is_object(e->specs))
		return xasprintf(cause, "%s: invalid specs", e->name), -1;
	seen = xcalloc(ASSIGN_INDEX_MAX, 1);
	json_array_foreach(e->slots, i, slot) {
		if (json_unpack(slot, "[I, s, I]", &index, &rev, &gen) != 0 ||
		    index < 0 || index >= ASSIGN_INDEX_MAX) {
			xasprintf(cause, "%s: slots[%zu]: expected [index, "
			    "revision, gen]", e->name, i);
			break;
		}
		if (strcmp(rev, e->revision) != 0 &&
		    !json_is_object(json_object_get(e->specs, rev))) {
			xasprintf(cause, "%s: slots[%zu]: no spec for "
			    "revision %s", e->name, i, rev);
			break;
		}
		if (seen[index]++) {
			xasprintf(cause, "%s: index %lld listed twice",
			    e->name, (long long)index);
			break;
		}
	}
	free(seen);
	return *cause != NULL ? -1 : 0;
}

static int
assign_parse_entry(const json_t *o, struct assign_entry *e, char **cause)
{
	const json_t	*v;
	json_int_t	 n;

	if (!json_is_object(o))
		return xasprintf(cause, "not an object"), -1;
	e->name = json_string_value(json_object_get(o, "name"));
	if (e->name == NULL || !manifest_name_valid(e->name))
		return xasprintf(cause, "missing or invalid name"), -1;
	e->revision = json_string_value(json_object_get(o, "revision"));
	if (e->revision == NULL || *e->revision == '\0')
		return xasprintf(cause, "%s: missing revision", e->name), -1;
	e->spec = json_object_get(o, "spec");
	if (!json_is_object(e->spec))
		return xasprintf(cause, "%s: missing spec", e->name), -1;
	v = json_object_get(o, "instances");
	n = json_is_integer(v) ? json_integer_value(v) : -1;
	if (n < 0 || n > ASSIGN_INSTANCES_MAX)
		return xasprintf(cause, "%s: missing or invalid instances",
		    e->name), -1;
	e->count = (unsigned)n;
	v = json_object_get(o, "enabled");
	e->enabled = v == NULL || json_is_true(v);
	e->restart_gen = json_integer_value(json_object_get(o, "restart_gen"));
	e->start_gen = json_integer_value(json_object_get(o, "start_gen"));
	e->slots = json_object_get(o, "slots");
	e->specs = json_object_get(o, "specs");
	if (e->slots != NULL && assign_check_slots(e, cause) == -1)
		return -1;
	return 0;
}

static int
assign_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct assign_entry *)a)->name,
	    ((const struct assign_entry *)b)->name);
}

/* Check every entry before anything is applied. */
static struct assign_entry *
assign_parse(const json_t *msg, size_t *n, char **cause)
{
	const json_t		*services = json_object_get(msg, "services");
	struct assign_entry	*v;
	char			*why;
	size_t			 i;

	if (!json_is_array(services)) {
		xasprintf(cause, "assign: missing services");
		return NULL;
	}
	*n = json_array_size(services);
	v = xcalloc(*n, sizeof(*v));
	for (i = 0; i < *n; i++) {
		if (assign_parse_entry(json_array_get(services, i), &v[i],
		    &why) == -1) {
			xasprintf(cause, "assign: services[%zu]: %s", i, why);
			free(why);
			free(v);
			return NULL;
		}
	}
	qsort(v, *n, sizeof(*v), assign_entry_cmp);
	for (i = 1; i < *n; i++) {
		if (strcmp(v[i - 1].name, v[i].name) == 0) {
			xasprintf(cause, "assign: service %s listed twice",
			    v[i].name);
			free(v);
			return NULL;
		}
	}
	return v;
}

static void
assign_persist(const char *line, size_t len)
{
	uint64_t	 h = hash64(line, len);
	char		*buf;
	int		 r;

	if (assign_saved && h == assign_saved_hash)
		return;
	buf = xmalloc(len + 1);
	memcpy(buf, line, len);
	buf[len] = '\n';
	r = atomic_write_file(assign_path, buf, len + 1);
	free(buf);
	if (r != 0) {
		log_error("cannot persist the assignment to %s: %s",
		    assign_path, strerror(-r));
		return;
	}
	assign_saved = true;
	assign_saved_hash = h;
}

/* A spec this service already holds for that revision, or NULL. */
static struct spec *
svc_spec_known(const struct svc *svc, const char *revision)
{
	unsigned	i;

	if (svc == NULL)
		return NULL;
	if (strcmp(svc->spec->revision, revision) == 0)
		return svc->spec;
	for (i = 0; i < svc->nwant; i++)
		if (svc->want[i].spec != NULL &&
		    strcmp(svc->want[i].spec->revision, revision) == 0)
			return svc->want[i].spec;
	for (i = 0; i < svc->ninst; i++)
		if (svc->inst[i] != NULL &&
		    strcmp(svc->inst[i]->spec->revision, revision) == 0)
			return svc->inst[i]->spec;
	return NULL;
}

/* The spec of one revision of an entry: one already held, or parsed. */
static struct spec *
assign_spec(const struct svc *svc, const char *name, const char *revision,
    const json_t *json)
{
	struct manifest	*m;
	struct diags	 d = { 0 };
	struct spec	*known;
	char		*why;

	if ((known = svc_spec_known(svc, revision)) != NULL)
		return spec_ref(known);
	m = manifest_from_json(json, "assign", name, &d);
	if (m == NULL) {
		why = diags_join(&d);
		log_error("service %s: revision %s refused: %s", name,
		    revision, why);
		free(why);
		diags_clear(&d);
		return NULL;
	}
	diags_clear(&d);
	if (strcmp(m->name, name) != 0) {
		log_error("service %s: revision %s refused: its spec names "
		    "service %s", name, revision, m->name);
		manifest_free(m);
		return NULL;
	}
	return spec_new(revision, m);
}

/*
 * What the entry wants at each index, in *want (*nwant entries). Returns
 * -1 when a spec is refused: nothing is changed then.
 */
static int
assign_wants(const struct svc *svc, const struct assign_entry *e,
    struct spec *cur, struct want **want, unsigned *nwant)
{
	json_t		*slot;
	const char	*rev;
	struct spec	*sp;
	json_int_t	 index, gen;
	unsigned	 n = 0, i;
	size_t		 k;

	if (e->slots == NULL) {
		*want = xcalloc(e->count ? e->count : 1, sizeof(**want));
		for (i = 0; i < e->count; i++) {
			(*want)[i].spec = spec_ref(cur);
			(*want)[i].gen = e->restart_gen;
		}
		*nwant = e->count;
		return 0;
	}
	json_array_foreach(e->slots, k, slot) {
		json_unpack(slot, "[I, s, I]", &index, &rev, &gen);
		if ((unsigned)index + 1 > n)
			n = (unsigned)index + 1;
	}
	*want = xcalloc(n ? n : 1, sizeof(**want));
	*nwant = n;
	json_array_foreach(e->slots, k, slot) {
		json_unpack(slot, "[I, s, I]", &index, &rev, &gen);
		if (strcmp(rev, cur->revision) == 0)
			sp = spec_ref(cur);
		else if ((sp = assign_spec(svc, e->name, rev,
		    json_object_get(e->specs, rev))) == NULL) {
			for (i = 0; i < n; i++)
				spec_unref((*want)[i].spec);
			free(*want);
			return -1;
		}
		(*want)[index].spec = sp;
		(*want)[index].gen = gen;
	}
	return 0;
}

static void
assign_service(const struct assign_entry *e)
{
	struct spec	*sp;
	struct svc	*svc;
	struct want	*want;
	unsigned	 nwant;
	size_t		 pos;

	svc = svc_find(e->name, &pos);
	sp = assign_spec(svc, e->name, e->revision, e->spec);
	if (sp == NULL || assign_wants(svc, e, sp, &want, &nwant) == -1) {
		/* Keep running what it has; a later assignment may fix it. */
		spec_unref(sp);
		if (svc != NULL)
			svc->assigned = true;
		return;
	}
	if (svc == NULL)
		svc = svc_new(e->name, pos);
	want_clear(svc);
	svc->want = want;
	svc->nwant = nwant;
	spec_unref(svc->spec);
	svc->spec = sp;
	svc->assigned = true;
	listen_prune(svc);
	svc->enabled = e->enabled;
	svc->start_gen = e->start_gen;
}

int
assign_apply(const json_t *msg, const char *line, size_t len, char **cause)
{
	struct assign_entry	*v;
	size_t			 n, i;

	if ((v = assign_parse(msg, &n, cause)) == NULL)
		return -EINVAL;
	assign_persist(line, len);
	log_debug("assignment of %zu services", n);
	for (i = 0; i < nsvcs; i++)
		svcs[i]->assigned = false;
	for (i = 0; i < n; i++)
		assign_service(&v[i]);
	free(v);
	assign_converge_all();
	return 0;
}

struct svc *
assign_find(const char *name)
{
	size_t	pos;

	return svc_find(name, &pos);
}

struct inst *
assign_find_pid(pid_t pid)
{
	size_t		i;
	unsigned	j;

	for (i = 0; i < nsvcs; i++) {
		for (j = 0; j < svcs[i]->ninst; j++) {
			if (svcs[i]->inst[j] != NULL &&
			    svcs[i]->inst[j]->pid == pid)
				return svcs[i]->inst[j];
		}
	}
	return NULL;
}

void
assign_foreach(void (*fn)(struct inst *, void *), void *arg)
{
	size_t		i;
	unsigned	k;

	for (i = 0; i < nsvcs; i++)
		for (k = 0; k < svcs[i]->ninst; k++)
			if (svcs[i]->inst[k] != NULL)
				fn(svcs[i]->inst[k], arg);
}

bool
assign_svc_ready(const struct svc *svc)
{
	unsigned	i, n = 0;

	if (!svc->assigned || !svc->enabled)
		return false;
	for (i = 0; i < svc->nwant; i++) {
		if (svc->want[i].spec == NULL)
			continue;
		if (i >= svc->ninst || svc->inst[i] == NULL ||
		    svc->inst[i]->state != INST_READY)
			return false;
		n++;
	}
	return n > 0;
}

const struct want *
assign_want(const struct svc *svc, unsigned index)
{
	if (!svc->assigned || index >= svc->nwant ||
	    svc->want[index].spec == NULL)
		return NULL;
	return &svc->want[index];
}

void
assign_wake_waiting(void)
{
	struct svc	*svc;
	size_t		 i;
	unsigned	 k;

	for (i = 0; i < nsvcs; i++) {
		svc = svcs[i];
		for (k = 0; k < svc->ninst; k++)
			if (svc->inst[k] != NULL &&
			    svc->inst[k]->state == INST_WAITING)
				supervise_converge(svc->inst[k]);
	}
}

void
assign_converge_all(void)
{
	struct svc	*svc;
	size_t		 i = 0;

	/* Converging a service may remove it (and only it) from the table. */
	while (i < nsvcs) {
		svc = svcs[i];
		svc_converge(svc);
		if (i < nsvcs && svcs[i] == svc)
			i++;
	}
}

/* A persisted assignment that cannot be used: kept aside for a human. */
static void
assign_set_aside(const char *why)
{
	char	*aside;

	xasprintf(&aside, "%s.corrupt", assign_path);
	if (rename(assign_path, aside) == 0)
		log_error("%s: %s; moved to %s: waiting for droverd's "
		    "assignment", assign_path, why, aside);
	else
		log_error("%s: %s (and cannot move it aside: %s)",
		    assign_path, why, strerror(errno));
	free(aside);
	assign_saved = false;
}

void
assign_load(void)
{
	json_t	*msg;
	char	*buf, *cause = NULL;
	size_t	 len;
	int	 r;

	if ((r = read_file(assign_path, &buf, &len)) != 0) {
		if (r != -ENOENT)
			log_error("cannot read %s: %s", assign_path,
			    strerror(-r));
		return;
	}
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	assign_saved = true;
	assign_saved_hash = hash64(buf, len);
	msg = link_decode(buf, len, &cause);
	if (msg != NULL && strcmp(link_type(msg), "assign") != 0)
		xasprintf(&cause, "not an assignment");
	if (cause == NULL && assign_apply(msg, buf, len, &cause) == 0)
		log_info("supervising the persisted assignment (%zu services)",
		    nsvcs);
	if (cause != NULL) {
		assign_set_aside(cause);
		free(cause);
	}
	json_decref(msg);
	free(buf);
	malloc_trim(0);
}

json_t *
assign_inventory(void)
{
	json_t		*a = json_array();
	size_t		 i;
	unsigned	 j;

	for (i = 0; i < nsvcs; i++) {
		for (j = 0; j < svcs[i]->ninst; j++) {
			if (svcs[i]->inst[j] != NULL)
				json_array_append_new(a,
				    supervise_json(svcs[i]->inst[j]));
		}
	}
	return a;
}

void
assign_free_all(void)
{
	while (nsvcs > 0)
		svc_free(svcs[nsvcs - 1]);
	free(svcs);
	svcs = NULL;
	capsvcs = 0;
	free(assign_path);
	assign_path = NULL;
}
