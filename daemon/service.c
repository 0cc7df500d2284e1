/*
 * service.c — the registry of services and its persistence.
 *
 * Invariants: D->services is sorted by name; every service in it has a
 * state file <state dir>/services/<name>.json holding its desired state
 * and revision history, written atomically before any change is
 * acknowledged or sent to the agent. Instance views are what the agent
 * last reported; they are not persisted (the agent is their truth).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "droverd.h"
#include "log.h"
#include "util.h"

static int
service_cmp(const void *a, const void *b)
{
	const struct service *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int
service_key_cmp(const void *key, const void *elem)
{
	const struct service *const *s = elem;

	return strcmp(key, (*s)->name);
}

struct service *
service_find(const char *name)
{
	struct service	**s;

	if (D->nservices == 0)
		return NULL;
	s = bsearch(name, D->services, D->nservices, sizeof(*D->services),
	    service_key_cmp);
	return s ? *s : NULL;
}

static void
revision_clear(struct revision *h)
{
	free(h->cause);
	free(h->canon);
}

/* Something the API shows changed: drop the cached text. */
static void
service_touch(struct service *s)
{
	free(s->list_json);
	s->list_json = NULL;
}

static void
service_views_clear(struct service *s)
{
	size_t	i;

	for (i = 0; i < s->nviews; i++)
		json_decref(s->views[i]);
	free(s->views);
	s->views = NULL;
	s->nviews = 0;
	service_touch(s);
}

static void
service_free(struct service *s)
{
	if (s == NULL)
		return;
	service_views_clear(s);
	free(s->slots);
	rollout_free(s->ro);
	manifest_free(s->m);
	for (size_t i = 0; i < s->nhistory; i++)
		revision_clear(&s->history[i]);
	free(s->history);
	free(s->list_json);
	free(s->name);
	free(s);
}

static void
service_insert(struct service *s)
{
	D->services = xreallocarray(D->services, D->nservices + 1,
	    sizeof(*D->services));
	D->services[D->nservices++] = s;
	qsort(D->services, D->nservices, sizeof(*D->services), service_cmp);
}

static void
service_unlink(struct service *s)
{
	size_t	i;

	for (i = 0; i < D->nservices; i++) {
		if (D->services[i] == s) {
			memmove(&D->services[i], &D->services[i + 1],
			    (D->nservices - i - 1) * sizeof(*D->services));
			D->nservices--;
			return;
		}
	}
}

static char *
service_path(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/services/%s.json", D->state_dir, name);
	return p;
}

/* A JSON string literal for any text (malloc'd). */
static char *
json_quote(const char *text)
{
	json_t	*j = json_string(text);
	char	*q;

	q = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	return q != NULL ? q : xstrdup("\"\"");
}

/*
 * The state file's text. Composed by hand around the canonical texts, so
 * that persisting a service never rebuilds JSON trees of its specs.
 * Service names are [a-z0-9-] and revisions hex: they need no quoting.
 */
static char *
service_state_text(const struct service *s)
{
	const struct revision	*h;
	FILE			*f;
	char			*text = NULL, *cause;
	size_t			 len, i;

	if ((f = open_memstream(&text, &len)) == NULL)
		abort();
	fprintf(f, "{\n \"name\": \"%s\",\n \"revision\": \"%s\",\n"
	    " \"enabled\": %s,\n \"restart_gen\": %lld,\n"
	    " \"start_gen\": %lld,\n", s->name, s->revision,
	    s->enabled ? "true" : "false", (long long)s->restart_gen,
	    (long long)s->start_gen);
	rollout_state_print(f, s);
	fprintf(f, " \"spec\": %s,\n \"history\": [", service_canon(s));
	for (i = 0; i < s->nhistory; i++) {
		h = &s->history[i];
		cause = json_quote(h->cause);
		fprintf(f, "%s\n  {\"revision\": \"%s\", \"time\": %lld, "
		    "\"cause\": %s, \"spec\": %s}", i ? "," : "", h->id,
		    (long long)h->time, cause, h->canon);
		free(cause);
	}
	fprintf(f, "\n ]\n}\n");
	if (fclose(f) != 0)
		abort();
	return text;
}

static json_t	*service_history_json(const struct service *);

/* While a manifests directory is applied, writes share one flush. */
static struct atomic_batch	*persist_batch;
/* At start-up, writes wait for service_flush(). */
static bool			 persist_deferred;
static bool			 flush_pending;

static int
service_persist(const struct service *s)
{
	char	*text, *path;
	int	 r;

	if (persist_deferred)
		return 0;	/* the caller marks the service dirty */

	text = service_state_text(s);
	path = service_path(s->name);
	if (persist_batch != NULL)
		r = atomic_batch_add(persist_batch, path, text, strlen(text));
	else
		r = atomic_write_file(path, text, strlen(text));
	if (r < 0)
		log_error("cannot write %s: %s", path, strerror(-r));
	free(path);
	free(text);
	return r;
}

/* Is revision `id` still needed by the slots or rollout of `s`? */
static bool
service_rev_used(const struct service *s, const char *id)
{
	size_t	i;

	for (i = 0; i < s->nslots; i++)
		if (strcmp(s->slots[i].rev, id) == 0)
			return true;
	return rollout_active(s) && strcmp(rollout_from(s), id) == 0;
}

/*
 * The history after `next` becomes current: the last `deploy.history`
 * entries of `cur` (with any older one its slots or rollout still need),
 * then a new entry. keep[i] says which of cur's entries it shares.
 */
static struct revision *
service_history_next(const struct service *cur, const struct service *next,
    const char *cause, size_t *n, bool **keep)
{
	struct revision	*hist, *h;
	size_t		 old = cur != NULL ? cur->nhistory : 0, i;
	size_t		 limit = next->m->deploy.history;

	hist = xcalloc(old + 1, sizeof(*hist));
	*keep = xcalloc(old + 1, sizeof(**keep));
	*n = 0;
	for (i = 0; i < old; i++) {
		if (i + limit < old + 1 &&
		    !service_rev_used(next, cur->history[i].id))
			continue;
		(*keep)[i] = true;
		hist[(*n)++] = cur->history[i];
	}
	h = &hist[(*n)++];
	memcpy(h->id, next->revision, sizeof(h->id));
	h->time = (int64_t)wall_ms();
	h->cause = xstrdup(cause);
	h->canon = manifest_canonical(next->m);
	return hist;
}

/*
 * Apply a manifest: creates, updates or leaves the service unchanged. The
 * new state is persisted before anything in memory changes, so a failed
 * write changes nothing. Takes ownership of m.
 */
int
service_apply(struct manifest *m, const char *cause, const char **result)
{
	struct service	*s, next;
	struct revision	*hist;
	size_t		 n, i;
	bool		*keep;
	int		 r;

	s = service_find(m->name);
	next = s != NULL ? *s : (struct service){ .name = m->name,
	    .enabled = true };
	manifest_revision(m, next.revision);
	if (s != NULL && strcmp(s->revision, next.revision) == 0) {
		manifest_free(m);
		*result = "unchanged";
		return 0;
	}
	next.m = m;
	rollout_plan(&next, s);
	hist = service_history_next(s, &next, cause, &n, &keep);
	next.history = hist;
	next.nhistory = n;
	if ((r = service_persist(&next)) < 0) {
		revision_clear(&hist[n - 1]);
		free(hist);
		free(keep);
		free(next.slots);
		rollout_free(next.ro);
		manifest_free(m);
		return r;
	}
	events_apply(m->name, s ? s->revision : NULL, next.revision, cause);
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		*s = next;
		s->name = xstrdup(m->name);
		service_insert(s);
		*result = "created";
	} else {
		for (i = 0; i < s->nhistory; i++)
			if (!keep[i])
				revision_clear(&s->history[i]);
		free(s->history);
		manifest_free(s->m);
		free(s->slots);
		rollout_free(s->ro);
		*s = next;
		service_touch(s);
		*result = "updated";
	}
	free(keep);
	s->dirty = persist_deferred;
	log_info("service %s: %s revision %s (%s)", s->name, *result,
	    s->revision, cause);
	if (rollout_active(s))
		log_info("service %s: rollout from %s to %s", s->name,
		    rollout_from(s), s->revision);
	rollout_kick(s);
	agent_assign();
	return 0;
}

int
service_rollback(struct service *s, const char *revision,
    const char **result)
{
	const struct revision	*h = NULL;
	char			*cause;
	size_t			 i;
	int			 r;

	for (i = s->nhistory; i-- > 0;) {
		if (revision != NULL ? strncmp(s->history[i].id, revision,
		    strlen(revision)) == 0 :
		    strcmp(s->history[i].id, s->revision) != 0) {
			h = &s->history[i];
			break;
		}
	}
	if (h == NULL || (revision != NULL && strlen(revision) < 4))
		return -ENOENT;
	xasprintf(&cause, "rollback to %s", h->id);
	r = service_restore(s, h->id, cause, result);
	free(cause);
	return r;
}

static const struct revision *
service_revision(const struct service *s, const char *id)
{
	size_t	i;

	for (i = s->nhistory; i-- > 0;)
		if (strcmp(s->history[i].id, id) == 0)
			return &s->history[i];
	return NULL;
}

const char *
service_revision_canon(const struct service *s, const char *id)
{
	const struct revision	*h = service_revision(s, id);

	return h != NULL ? h->canon : NULL;
}

static struct manifest *
service_revision_manifest(const struct service *s, const struct revision *h)
{
	struct manifest	*m;
	struct diags	 d = { 0 };
	json_t		*spec;

	spec = json_loads(h->canon, 0, NULL);
	m = manifest_from_json(spec, s->name, s->name, &d);
	json_decref(spec);
	diags_clear(&d);
	return m;
}

const char *
service_run_hash(const struct service *s, const char *id)
{
	struct revision	*h = (struct revision *)service_revision(s, id);
	struct manifest	*m;

	if (h == NULL)
		return NULL;
	if (h->run[0] == '\0') {	/* computed once, when compared */
		if ((m = service_revision_manifest(s, h)) == NULL)
			return NULL;
		manifest_run_hash(m, h->run);
		manifest_free(m);
	}
	return h->run;
}

int
service_restore(struct service *s, const char *id, const char *cause,
    const char **result)
{
	const struct revision	*h = service_revision(s, id);
	struct manifest		*m;

	if (h == NULL)
		return -ENOENT;
	if ((m = service_revision_manifest(s, h)) == NULL)
		return -EINVAL;	/* a revision droverd accepted no longer parses */
	return service_apply(m, cause, result);
}

json_t *
service_revisions_json(const struct service *s)
{
	return json_pack("{s:s, s:s, s:o}", "service", s->name, "current",
	    s->revision, "revisions", service_history_json(s));
}

int
service_delete(struct service *s)
{
	char	*path = service_path(s->name);
	int	 r = 0;

	if (unlink(path) == -1 && errno != ENOENT) {
		r = -errno;
		log_error("cannot remove %s: %s", path, strerror(errno));
	}
	free(path);
	if (r < 0)
		return r;
	log_info("service %s: deleted", s->name);
	events_apply(s->name, s->revision, NULL, "deleted");
	service_unlink(s);
	service_free(s);
	agent_assign();
	return 0;
}

/*
 * Change one counter or flag, persist, and change nothing on failure. A
 * new restart generation is a rolling restart (rollout.c).
 */
static int
service_update(struct service *s, bool enabled, int64_t restart_gen,
    int64_t start_gen)
{
	struct service	next = *s;
	int		r;

	next.enabled = enabled;
	next.restart_gen = restart_gen;
	next.start_gen = start_gen;
	if (restart_gen != s->restart_gen)
		rollout_plan(&next, s);
	if ((r = service_persist(&next)) < 0) {
		if (next.slots != s->slots) {
			free(next.slots);
			rollout_free(next.ro);
		}
		return r;
	}
	if (next.slots != s->slots) {
		free(s->slots);
		rollout_free(s->ro);
	}
	*s = next;
	s->dirty = false;
	service_touch(s);
	rollout_kick(s);
	agent_assign();
	return 0;
}

int
service_save(struct service *s)
{
	int	r;

	service_touch(s);
	if ((r = service_persist(s)) == 0)
		s->dirty = false;
	return r;
}

int
service_set_enabled(struct service *s, bool enabled)
{
	log_info("service %s: %s", s->name, enabled ? "start" : "stop");
	/* start also clears failed instances of a running service */
	return service_update(s, enabled, s->restart_gen,
	    s->start_gen + (enabled ? 1 : 0));
}

int
service_restart(struct service *s)
{
	log_info("service %s: restart", s->name);
	return service_update(s, true, s->restart_gen + 1, s->start_gen);
}

/* Set a state file that cannot be trusted aside, keeping it for a human. */
static void
service_set_aside(const char *path, const char *why)
{
	char	*aside;

	xasprintf(&aside, "%s.corrupt", path);
	log_error("%s: %s; moved to %s", path, why, aside);
	if (rename(path, aside) == -1)
		log_error("cannot rename %s: %s", path, strerror(errno));
	free(aside);
}

/*
 * Rebuild the revision history from a state file's entries; the current
 * revision always ends it (an older droverd's file may lack it).
 */
static void
service_load_history(struct service *s, const json_t *hist)
{
	struct revision	*h;
	const char	*id, *cause;
	json_t		*e, *spec;
	json_int_t	 t;
	size_t		 i;

	s->history = xcalloc(json_array_size(hist) + 1, sizeof(*s->history));
	json_array_foreach(hist, i, e) {
		if (json_unpack(e, "{s:s, s:I, s:s, s:o}", "revision", &id,
		    "time", &t, "cause", &cause, "spec", &spec) != 0 ||
		    strlen(id) != MANIFEST_REVISION_LEN)
			continue;
		h = &s->history[s->nhistory++];
		memcpy(h->id, id, sizeof(h->id));
		h->time = t;
		h->cause = xstrdup(cause);
		h->canon = json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT);
	}
	if (s->nhistory > 0 &&
	    strcmp(s->history[s->nhistory - 1].id, s->revision) == 0) {
		/* the current spec's text, exactly as the agent expects it */
		free(s->history[s->nhistory - 1].canon);
	} else {
		h = &s->history[s->nhistory++];
		memcpy(h->id, s->revision, sizeof(h->id));
		h->cause = xstrdup("loaded");
	}
	s->history[s->nhistory - 1].canon = manifest_canonical(s->m);
}

static struct service *
service_load(const char *path, const char *fname)
{
	struct service	*s;
	struct manifest	*m;
	struct diags	 d = { 0 };
	json_error_t	 err;
	json_t		*j, *spec, *hist;
	const char	*name;
	char		*why;
	int		 enabled;
	json_int_t	 rg = 0, sg = 0;

	j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		xasprintf(&why, "not valid JSON (line %d: %s)", err.line,
		    err.text);
		service_set_aside(path, why);
		free(why);
		return NULL;
	}
	if (json_unpack_ex(j, &err, 0, "{s:s, s:b, s?I, s?I, s:o, s:o}",
	    "name", &name, "enabled", &enabled, "restart_gen", &rg,
	    "start_gen", &sg, "spec", &spec, "history", &hist) != 0 ||
	    !json_is_array(hist)) {
		service_set_aside(path, "not a service state file");
		json_decref(j);
		return NULL;
	}
	m = manifest_from_json(spec, path, name, &d);
	if (m == NULL || strcmp(m->name, name) != 0 ||
	    strncmp(fname, name, strlen(name)) != 0 ||
	    strcmp(fname + strlen(name), ".json") != 0) {
		why = d.n ? diags_join(&d) : xstrdup("name does not match");
		service_set_aside(path, why);
		free(why);
		diags_clear(&d);
		manifest_free(m);
		json_decref(j);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->m = m;
	manifest_revision(m, s->revision);
	s->enabled = enabled;
	s->restart_gen = rg;
	s->start_gen = sg;
	service_load_history(s, hist);
	rollout_state_load(s, j);
	json_decref(j);
	return s;
}

int
service_load_all(void)
{
	struct service	*s;
	struct dirent	*de;
	DIR		*dir;
	char		*path;
	size_t		 len;
	int		 r;

	xasprintf(&path, "%s/services", D->state_dir);
	r = mkdir_p(path, 0755);
	dir = r == 0 ? opendir(path) : NULL;
	if (dir == NULL) {
		r = r ? r : -errno;
		log_error("cannot read %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	free(path);
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		xasprintf(&path, "%s/services/%s", D->state_dir, de->d_name);
		if ((s = service_load(path, de->d_name)) != NULL) {
			if (service_find(s->name) == NULL)
				service_insert(s);
			else
				service_free(s);
		}
		free(path);
	}
	closedir(dir);
	log_info("loaded %zu services from %s", D->nservices, D->state_dir);
	return 0;
}

void
service_free_all(void)
{
	size_t	i;

	for (i = 0; i < D->nservices; i++)
		service_free(D->services[i]);
	free(D->services);
	D->services = NULL;
	D->nservices = 0;
}

static void
file_hashes_save(void)
{
	char	*path, *text;
	int	 r;

	xasprintf(&path, "%s/manifests.json", D->state_dir);
	text = json_dumps(D->file_hashes, JSON_INDENT(1) | JSON_SORT_KEYS);
	if ((r = atomic_write_file(path, text, strlen(text))) < 0)
		log_error("cannot write %s: %s", path, strerror(-r));
	free(text);
	free(path);
}

static void
file_hashes_load(void)
{
	char	*path;

	if (D->file_hashes != NULL)
		return;
	xasprintf(&path, "%s/manifests.json", D->state_dir);
	D->file_hashes = json_load_file(path, 0, NULL);
	if (!json_is_object(D->file_hashes)) {
		json_decref(D->file_hashes);
		D->file_hashes = json_object();
	}
	free(path);
}

/* Apply one file if it changed since it was last applied. */
static void
service_apply_file(const char *path)
{
	struct manifest	*m;
	struct diags	 d = { 0 };
	const char	*result, *known;
	char		*buf, *cause, *name, hex[17];
	size_t		 len;
	int		 r;

	if ((r = read_file(path, &buf, &len)) < 0) {
		log_error("%s: %s", path, strerror(-r));
		return;
	}
	snprintf(hex, sizeof(hex), "%016llx",
	    (unsigned long long)hash64(buf, len));
	known = json_string_value(json_object_get(D->file_hashes, path));
	if (known != NULL && strcmp(known, hex) == 0) {
		free(buf);
		return;
	}
	name = manifest_default_name(path);
	m = manifest_parse_yaml(buf, len, path, name, &d);
	free(name);
	free(buf);
	if (m == NULL) {
		for (size_t i = 0; i < d.n; i++) {
			char *s = diag_format(&d.v[i]);
			log_error("%s", s);
			free(s);
		}
		log_error("%s: refused, nothing changed", path);
		diags_clear(&d);
		return;
	}
	xasprintf(&cause, "apply %s", path);
	if (service_apply(m, cause, &result) == 0)
		json_object_set_new(D->file_hashes, path, json_string(hex));
	free(cause);
}

void
service_apply_dir(const char *dirpath, bool defer)
{
	struct atomic_batch	  batch = { 0 };
	struct dirent		**list;
	char			 *path;
	int			  n, i, r;

	file_hashes_load();
	n = scandir(dirpath, &list, NULL, alphasort);
	if (n < 0) {
		log_error("cannot read manifests from %s: %s", dirpath,
		    strerror(errno));
		return;
	}
	persist_batch = &batch;
	persist_deferred = defer;
	for (i = 0; i < n; i++) {
		if (manifest_is_file_name(list[i]->d_name)) {
			xasprintf(&path, "%s/%s", dirpath, list[i]->d_name);
			service_apply_file(path);
			free(path);
		}
		free(list[i]);
	}
	free(list);
	persist_deferred = false;
	persist_batch = NULL;
	if (defer) {
		flush_pending = true;
		return;
	}
	if ((r = atomic_batch_commit(&batch)) < 0)
		log_error("cannot persist the services of %s: %s", dirpath,
		    strerror(-r));
	file_hashes_save();
}

void
service_flush(void)
{
	struct atomic_batch	batch = { 0 };
	size_t			i, n = 0;
	int			r;

	if (!flush_pending)
		return;
	flush_pending = false;
	persist_batch = &batch;
	for (i = 0; i < D->nservices; i++) {
		if (!D->services[i]->dirty)
			continue;
		if (service_persist(D->services[i]) == 0)
			D->services[i]->dirty = false;
		n++;
	}
	persist_batch = NULL;
	if ((r = atomic_batch_commit(&batch)) < 0) {
		log_error("cannot persist the services applied at start-up: %s",
		    strerror(-r));
		return;		/* the hashes stay unsaved: applied again */
	}
	file_hashes_save();
	log_debug("persisted %zu services applied at start-up", n);
}

static json_t *
view_placeholder(const struct service *s, size_t index)
{
	return json_pack("{s:I, s:i, s:s, s:s, s:i, s:n, s:n, s:n, s:i}",
	    "index", (json_int_t)index, "pid", 0,
	    "state", s->enabled ? "pending" : "exited", "health", "unknown",
	    "restarts", 0, "revision", "last_error", "status_text",
	    "next_start_ms", 0);
}

static json_t *
service_history_json(const struct service *s)
{
	json_t	*list = json_array();
	size_t	 i;

	for (i = 0; i < s->nhistory; i++)
		json_array_append_new(list, json_pack("{s:s, s:I, s:s}",
		    "revision", s->history[i].id,
		    "time", (json_int_t)s->history[i].time,
		    "cause", s->history[i].cause));
	return list;
}

json_t *
service_to_json(const struct service *s, bool with_spec)
{
	json_t	*j, *inst;
	size_t	 i, n;

	inst = json_array();
	n = s->nslots > 0 ? s->slots[s->nslots - 1].index + 1 : 0;
	n = s->nviews > n ? s->nviews : n;
	for (i = 0; i < n; i++) {
		if (i < s->nviews && s->views[i] != NULL)
			json_array_append(inst, s->views[i]);
		else if (rollout_has_slot(s, (unsigned)i))
			json_array_append_new(inst, view_placeholder(s, i));
	}
	j = json_pack("{s:s, s:s, s:b, s:i, s:o, s:o}", "name", s->name,
	    "revision", s->revision, "enabled", s->enabled,
	    "desired_instances", (int)s->m->instances, "instances", inst,
	    "rollout", rollout_to_json(s));
	if (with_spec) {
		json_object_set_new(j, "spec", manifest_to_json(s->m));
		json_object_set_new(j, "history", service_history_json(s));
	}
	return j;
}

const char *
service_list_json(struct service *s)
{
	json_t	*j;

	if (s->list_json == NULL) {
		j = service_to_json(s, false);
		s->list_json = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	return s->list_json;
}

void
service_views_reset(void)
{
	size_t	i;

	events_views_reset();
	for (i = 0; i < D->nservices; i++)
		service_views_clear(D->services[i]);
}

/* Keep the fields the API shows, in the API's shape. */
static json_t *
view_from_report(json_t *in)
{
	static const char *const keys[] = { "index", "pid", "state", "health",
	    "health_failures", "health_last", "health_results",
	    "restarts", "revision", "gen", "last_error", "status_text",
	    "next_start_ms", "next_start", "since" };
	json_t	*out = json_object(), *v;
	size_t	 i;

	for (i = 0; i < nitems(keys); i++) {
		v = json_object_get(in, keys[i]);
		json_object_set(out, keys[i], v ? v : json_null());
	}
	return out;
}

void
service_view_update(json_t *inst)
{
	struct service	*s;
	const char	*name;
	json_int_t	 index;

	if (json_unpack(inst, "{s:s, s:I}", "service", &name, "index",
	    &index) != 0 || index < 0 || index > 100000)
		return;
	if ((s = service_find(name)) == NULL)
		return;
	if ((size_t)index >= s->nviews) {
		s->views = xreallocarray(s->views, index + 1,
		    sizeof(*s->views));
		memset(&s->views[s->nviews], 0,
		    (index + 1 - s->nviews) * sizeof(*s->views));
		s->nviews = index + 1;
	}
	events_instance(name, index, s->views[index], inst);
	json_decref(s->views[index]);
	s->views[index] = view_from_report(inst);
	service_touch(s);
	rollout_views_changed(s);
}

void
service_view_remove(const char *name, int64_t index)
{
	struct service	*s;

	if ((s = service_find(name)) == NULL || index < 0 ||
	    (size_t)index >= s->nviews)
		return;
	events_instance_removed(name, index, s->views[index]);
	json_decref(s->views[index]);
	s->views[index] = NULL;
	service_touch(s);
	while (s->nviews > 0 && s->views[s->nviews - 1] == NULL)
		s->nviews--;
	rollout_views_changed(s);
}
