/*
 * spawn-clone3.c — clone3(2) running a function on a stack of its own,
 * which libc does not offer: the child must leave the syscall on the new
 * stack before it runs any C, so the call is a few lines of assembly
 * (the shape of glibc's internal __clone3). spawn.c uses it for
 * CLONE_INTO_CGROUP, so that a child is born in its instance's cgroup:
 * moving it there afterwards (a write to cgroup.procs) can cost an RCU
 * grace period, milliseconds, per spawn.
 *
 * Only x86-64 and AArch64; elsewhere spawn_clone3 returns -ENOSYS and
 * spawn.c falls back to clone(2) and cgroup.procs.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "spawn-clone3.h"

#ifndef __NR_clone3
#define __NR_clone3	435
#endif

#define STR_(x)	#x
#define STR(x)	STR_(x)

#if defined(__x86_64__)
/* rdi: args, rsi: size, rdx: fn, rcx: arg (kept in r8: syscall clobbers rcx). */
__asm__(
	"	.text\n"
	"	.globl	spawn_clone3_raw\n"
	"	.hidden	spawn_clone3_raw\n"
	"	.type	spawn_clone3_raw, @function\n"
	"spawn_clone3_raw:\n"
	"	mov	%rcx, %r8\n"
	"	mov	$" STR(__NR_clone3) ", %eax\n"
	"	syscall\n"
	"	test	%rax, %rax\n"
	"	jz	1f\n"
	"	ret\n"
	"1:	xor	%ebp, %ebp\n"
	"	and	$-16, %rsp\n"
	"	mov	%r8, %rdi\n"
	"	call	*%rdx\n"
	"	mov	%eax, %edi\n"
	"	mov	$" STR(__NR_exit) ", %eax\n"
	"	syscall\n"
	"	hlt\n"
	"	.size	spawn_clone3_raw, .-spawn_clone3_raw\n");
#define HAVE_RAW	1
#elif defined(__aarch64__)
/* x0: args, x1: size, x2: fn, x3: arg (the kernel keeps x1-x30). */
__asm__(
	"	.text\n"
	"	.globl	spawn_clone3_raw\n"
	"	.hidden	spawn_clone3_raw\n"
	"	.type	spawn_clone3_raw, %function\n"
	"spawn_clone3_raw:\n"
	"	mov	x8, #" STR(__NR_clone3) "\n"
	"	svc	#0\n"
	"	cbz	x0, 1f\n"
	"	ret\n"
	"1:	mov	x29, #0\n"
	"	mov	x30, #0\n"
	"	mov	x0, x3\n"
	"	blr	x2\n"
	"	mov	x8, #" STR(__NR_exit) "\n"
	"	svc	#0\n"
	"	.size	spawn_clone3_raw, .-spawn_clone3_raw\n");
#define HAVE_RAW	1
#endif

#ifdef HAVE_RAW
long	spawn_clone3_raw(struct spawn_clone_args *, size_t,
	    int (*)(void *), void *);
#endif

long
spawn_clone3(struct spawn_clone_args *args, int (*fn)(void *), void *arg)
{
#ifdef HAVE_RAW
	return spawn_clone3_raw(args, sizeof(*args), fn, arg);
#else
	(void)args;
	(void)fn;
	(void)arg;
	return -ENOSYS;
#endif
}
