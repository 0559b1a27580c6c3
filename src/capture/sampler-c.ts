// The /proc sampler in C, used when a C compiler is at hand. It does what
// proc-sampler.ts does (same events file, same spool framing), for a tenth of
// the CPU: a tick is a few preads and one write, with no JavaScript timer or
// garbage collector beside the build. Measured with scripts/bench-capture.ts.
//
//   gbp-proc-sampler SPOOL EVENTS INTERVAL_MS ROOT_PID MONO_TO_EPOCH_NS
//
// It appends frames to SPOOL (whose header the caller wrote), samples ROOT_PID
// (the go command), the tool pids named by the shim's S lines in EVENTS, and
// other children of ROOT_PID (gcc run by go for cgo). On SIGTERM (sent by
// gbp, or by the kernel when gbp dies) it finishes
// the tick, prints "ticks=N frames=N pids=N user_ns=N sys_ns=N" and exits 0; when the spool
// cannot be written it says why on stderr and exits 3.
import { PROC_FRAME } from '../bundle/format.ts';
import { compileCached } from './cc-cache.ts';

export const SAMPLER_EXIT_WRITE_FAILED = 3;

export const SAMPLER_C_SOURCE = String.raw`// gbp /proc sampler (C), compiled by gbp capture.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void onterm(int s) { (void)s; stop = 1; }

/* A set of pids: open addressing, grows at half full. */
typedef struct { int *k; size_t cap, n; } set_t;
static int set_has(set_t *s, int v) {
  if (!s->cap) return 0;
  for (size_t h = ((unsigned)v * 2654435761u) & (s->cap - 1);; h = (h + 1) & (s->cap - 1)) {
    if (s->k[h] == 0) return 0;
    if (s->k[h] == v) return 1;
  }
}
static void set_add(set_t *s, int v) {
  if (v <= 0 || set_has(s, v)) return;
  if ((s->n + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 1024;
    int *k = calloc(cap, sizeof *k), *old = s->k;
    if (!k) return;
    size_t oc = s->cap;
    s->k = k; s->cap = cap; s->n = 0;
    for (size_t i = 0; i < oc; i++) if (old[i]) set_add(s, old[i]);
    free(old);
  }
  size_t h = ((unsigned)v * 2654435761u) & (s->cap - 1);
  while (s->k[h]) h = (h + 1) & (s->cap - 1);
  s->k[h] = v; s->n++;
}

static const char *FILES[3] = {"stat", "status", "io"};
typedef struct { int pid; int fd[3]; } proc_t;
static proc_t *live; static size_t nlive, caplive;
typedef struct { int shim, pid; } run_t;
static run_t *runs; static size_t nruns, capruns;
static set_t seen, shims;
static long long ticks, frames;

static char *out; static size_t outlen, outcap;
static int spool;
static void flush(void) {
  size_t off = 0;
  while (off < outlen) {
    ssize_t w = write(spool, out + off, outlen - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) { fprintf(stderr, "gbp-proc-sampler: writing the spool: %s\n", strerror(errno)); exit(3); }
    off += (size_t)w;
  }
  outlen = 0;
}
static void emit(const char *s, size_t n) {
  if (outlen + n > outcap) {
    flush();
    if (n > outcap) { outcap = n * 2; out = realloc(out, outcap); if (!out) exit(3); }
  }
  memcpy(out + outlen, s, n); outlen += n;
}

static void add_live(int pid) {
  if (set_has(&seen, pid)) return;
  set_add(&seen, pid);
  if (nlive == caplive) { caplive = caplive ? caplive * 2 : 64; live = realloc(live, caplive * sizeof *live); if (!live) exit(3); }
  proc_t *p = &live[nlive++];
  p->pid = pid;
  for (int i = 0; i < 3; i++) p->fd[i] = -2; /* not opened yet */
}
static void drop_live(size_t i) {
  for (int f = 0; f < 3; f++) if (live[i].fd[f] >= 0) close(live[i].fd[f]);
  live[i] = live[--nlive];
}
static void end_run(int shim) {
  for (size_t i = 0; i < nruns; i++) if (runs[i].shim == shim) {
    int pid = runs[i].pid;
    runs[i] = runs[--nruns];
    for (size_t j = 0; j < nlive; j++) if (live[j].pid == pid) { drop_live(j); break; }
    return;
  }
}

/* The shim's lines: "S <shim> <toolpid> <tool> <importpath>", "E <shim> <rc>". */
static int evfd = -1; static char ev[65536]; static size_t evlen;
static const char *evpath;
static void read_events(void) {
  if (evfd < 0 && (evfd = open(evpath, O_RDONLY | O_CLOEXEC)) < 0) return;
  for (;;) {
    ssize_t n = read(evfd, ev + evlen, sizeof ev - 1 - evlen);
    if (n <= 0) break;
    evlen += (size_t)n;
    char *line = ev, *nl;
    while ((nl = memchr(line, '\n', evlen - (size_t)(line - ev)))) {
      *nl = 0;
      int a = 0, b = 0;
      if (line[0] == 'S' && sscanf(line, "S %d %d", &a, &b) == 2) {
        set_add(&shims, a);
        if (nruns == capruns) { capruns = capruns ? capruns * 2 : 64; runs = realloc(runs, capruns * sizeof *runs); if (!runs) exit(3); }
        runs[nruns++] = (run_t){a, b};
        add_live(b);
      } else if (line[0] == 'E' && sscanf(line, "E %d %d", &a, &b) == 2) end_run(a);
      line = nl + 1;
    }
    evlen -= (size_t)(line - ev);
    memmove(ev, line, evlen);
    if (evlen == sizeof ev - 1) evlen = 0; /* a line longer than the buffer: not ours */
  }
}

static char buf[65536];
static int root;
static int taskfd[256]; static int ntask;
static void refresh_tasks(void) {
  for (int i = 0; i < ntask; i++) close(taskfd[i]);
  ntask = 0;
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/task", root);
  DIR *d = opendir(p);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) && ntask < 256) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char c[128];
    snprintf(c, sizeof c, "/proc/%d/task/%s/children", root, e->d_name);
    int fd = open(c, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) taskfd[ntask++] = fd;
  }
  closedir(d);
}
/* Children of go that are neither shims nor seen: gcc and friends run by go itself. */
static void scan_children(void) {
  for (int i = 0; i < ntask; i++) {
    ssize_t n = pread(taskfd[i], buf, sizeof buf - 1, 0);
    if (n <= 0) continue;
    buf[n] = 0;
    for (char *s = buf, *t; (t = strtok_r(s, " \n", &s));) {
      int c = atoi(t);
      if (c <= 0 || set_has(&shims, c) || set_has(&seen, c)) continue;
      /* a shim whose S line is not written yet looks like this too */
      char p[64], comm[32] = {0};
      snprintf(p, sizeof p, "/proc/%d/comm", c);
      int fd = open(p, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ssize_t m = read(fd, comm, sizeof comm - 1);
      close(fd);
      if (m > 0 && strncmp(comm, "gbp-toolexec", 12) == 0) continue;
      add_live(c);
    }
  }
}

static long long now_ns(long long offset) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec + offset;
}

/* One process: each file opened once, re-read with pread at 0 every tick. */
static int sample(proc_t *p, long long t) {
  for (int i = 0; i < 3; i++) {
    if (p->fd[i] == -2) {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/%s", p->pid, FILES[i]);
      p->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
      if (p->fd[i] < 0 && i == 0) return 0; /* gone */
      if (p->fd[i] < 0) p->fd[i] = -1;      /* io: unreadable for other users' processes */
    }
    if (p->fd[i] < 0) continue;
    ssize_t n = pread(p->fd[i], buf, sizeof buf, 0);
    if (n < 0) { if (i == 0) return 0; continue; } /* ESRCH: exited */
    char h[128];
    int hn = snprintf(h, sizeof h, "${PROC_FRAME} %lld %d %s %zd\n", t, p->pid, FILES[i], n);
    emit(h, (size_t)hn);
    emit(buf, (size_t)n);
    emit("\n", 1);
    frames++;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: gbp-proc-sampler SPOOL EVENTS INTERVAL_MS ROOT_PID MONO_TO_EPOCH_NS\n"); return 2; }
  spool = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC);
  if (spool < 0) { fprintf(stderr, "gbp-proc-sampler: %s: %s\n", argv[1], strerror(errno)); return 3; }
  evpath = argv[2];
  long long interval = atoll(argv[3]) * 1000000LL;
  root = atoi(argv[4]);
  long long offset = atoll(argv[5]);
  if (interval <= 0 || root <= 0) return 2;
  outcap = 256 * 1024; out = malloc(outcap);
  if (!out) return 3;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onterm;
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGINT, SIG_IGN); /* a terminal's ^C: keep sampling the build as it winds down; gbp stops us */
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* and never outlive gbp */
  if (getppid() == 1) return 0;
  add_live(root);
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (!stop) {
    read_events();
    if (ticks % 25 == 0) refresh_tasks();
    if (ticks % 5 == 0) scan_children();
    long long t = now_ns(offset);
    ticks++;
    for (size_t i = 0; i < nlive;) {
      if (sample(&live[i], t)) i++;
      else drop_live(i);
    }
    flush();
    next.tv_nsec += interval % 1000000000LL;
    next.tv_sec += interval / 1000000000LL + next.tv_nsec / 1000000000L;
    next.tv_nsec %= 1000000000L;
    struct timespec cur;
    clock_gettime(CLOCK_MONOTONIC, &cur);
    if (cur.tv_sec > next.tv_sec || (cur.tv_sec == next.tv_sec && cur.tv_nsec > next.tv_nsec)) next = cur; /* late: no catch-up burst */
    while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
  }
  read_events();
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("ticks=%lld frames=%lld pids=%zu user_ns=%lld sys_ns=%lld\n", ticks, frames, seen.n,
         (long long)ru.ru_utime.tv_sec * 1000000000LL + ru.ru_utime.tv_usec * 1000LL,
         (long long)ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL);
  return 0;
}
`;

/** Path of the compiled C sampler (see compileCached), or null when no C compiler works here. */
export function compiledSampler(tmp: string, env: NodeJS.ProcessEnv): string | null {
  return compileCached('gbp-proc-sampler', SAMPLER_C_SOURCE, tmp, env);
}
