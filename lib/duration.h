/*
 * duration.h — strict parsing of durations ("100ms", "2m", "1h30m", "0")
 * and sizes ("10M", "512K", "1G", "4096"), and their canonical text.
 */
#ifndef DROVER_DURATION_H
#define DROVER_DURATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * Units: ms, s, m, h (and combinations in decreasing order, "1m30s").
 * A bare number is refused except "0". No sign, no spaces, no overflow,
 * no decimals ("1.5s" is written "1s500ms").
 * Returns 0, or -EINVAL (outputs untouched).
 */
int	duration_parse(const char *, uint64_t *ms);
/* Canonical text ("1m30s", "100ms", "0s") into buf. */
void	duration_format(uint64_t ms, char *buf, size_t len);
/* Units: none (bytes), K, M, G, T (powers of 1024); optional "B"/"iB"
 * after the unit ("10MiB", "10MB" mean the same). Returns 0 or -EINVAL. */
int	size_parse(const char *, uint64_t *bytes);
void	size_format(uint64_t bytes, char *buf, size_t len);

#endif
