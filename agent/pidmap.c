/*
 * pidmap.c — the index from a child's pid to its instance, so that an
 * exit is matched in O(1) however many instances run.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones); the table is a power of two, at most half full. Only
 * instances with a live (unreaped) process are in it.
 */
#include <stdlib.h>

#include "agent.h"
#include "util.h"

struct pidmap_slot {
	pid_t		 pid;	/* 0: empty */
	struct inst	*inst;
};

static struct pidmap_slot	*pidmap_tab;
static size_t			 pidmap_cap;	/* power of two, or 0 */
static size_t			 pidmap_n;

static size_t
pidmap_home(pid_t pid)
{
	uint32_t	h = (uint32_t)pid * 2654435761u;

	return h & (pidmap_cap - 1);
}

static void
pidmap_grow(void)
{
	struct pidmap_slot	*old = pidmap_tab;
	size_t			 oldcap = pidmap_cap, i, j;

	pidmap_cap = oldcap ? oldcap * 2 : 64;
	pidmap_tab = xcalloc(pidmap_cap, sizeof(*pidmap_tab));
	for (i = 0; i < oldcap; i++) {
		if (old[i].pid == 0)
			continue;
		for (j = pidmap_home(old[i].pid); pidmap_tab[j].pid != 0;
		    j = (j + 1) & (pidmap_cap - 1))
			;
		pidmap_tab[j] = old[i];
	}
	free(old);
}

void
pidmap_put(pid_t pid, struct inst *inst)
{
	size_t	i;

	if ((pidmap_n + 1) * 2 > pidmap_cap)
		pidmap_grow();
	for (i = pidmap_home(pid); pidmap_tab[i].pid != 0;
	    i = (i + 1) & (pidmap_cap - 1)) {
		if (pidmap_tab[i].pid == pid) {
			pidmap_tab[i].inst = inst;
			return;
		}
	}
	pidmap_tab[i].pid = pid;
	pidmap_tab[i].inst = inst;
	pidmap_n++;
}

static size_t
pidmap_find(pid_t pid)
{
	size_t	i;

	if (pidmap_cap == 0)
		return SIZE_MAX;
	for (i = pidmap_home(pid); pidmap_tab[i].pid != 0;
	    i = (i + 1) & (pidmap_cap - 1)) {
		if (pidmap_tab[i].pid == pid)
			return i;
	}
	return SIZE_MAX;
}

struct inst *
pidmap_get(pid_t pid)
{
	size_t	i = pidmap_find(pid);

	return i == SIZE_MAX ? NULL : pidmap_tab[i].inst;
}

void
pidmap_del(pid_t pid)
{
	size_t	i = pidmap_find(pid), j, home, mask = pidmap_cap - 1;

	if (i == SIZE_MAX)
		return;
	/* Shift back every entry whose probe sequence crossed the hole. */
	for (j = (i + 1) & mask; pidmap_tab[j].pid != 0; j = (j + 1) & mask) {
		home = pidmap_home(pidmap_tab[j].pid);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			pidmap_tab[i] = pidmap_tab[j];
			i = j;
		}
	}
	pidmap_tab[i].pid = 0;
	pidmap_tab[i].inst = NULL;
	pidmap_n--;
}

size_t
pidmap_count(void)
{
	return pidmap_n;
}

void
pidmap_free(void)
{
	free(pidmap_tab);
	pidmap_tab = NULL;
	pidmap_cap = pidmap_n = 0;
}
