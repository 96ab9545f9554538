/*
 * The floor under group fanout: how many small frames one core can hand to the kernel for
 * loopback TCP sockets, one send() per frame per socket, as a node does for each online member.
 *
 *   loopback-send SOCKETS FRAME_BYTES SECONDS
 *
 * The sender runs on core 0 and writes FRAME_BYTES to each of SOCKETS connections in turn; a
 * child on core 1 accepts them and reads everything with epoll. Prints writes/s and the
 * sender's CPU per write. Built and run by scripts/loopback-floor.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s SOCKETS FRAME_BYTES SECONDS\n", argv[0]); return 2; }
    int n = atoi(argv[1]), size = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096)) { perror("listen"); return 1; }
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    pid_t reader = fork();
    if (reader == 0) {
        pin(1);
        int poll = epoll_create1(0);
        for (int i = 0; i < n; i++) {
            int s = accept(listener, NULL, NULL);
            struct epoll_event e = { .events = EPOLLIN, .data.fd = s };
            epoll_ctl(poll, EPOLL_CTL_ADD, s, &e);
        }
        static char buffer[1 << 16];
        struct epoll_event events[256];
        for (;;) {
            int ready = epoll_wait(poll, events, 256, -1);
            for (int i = 0; i < ready; i++)
                while (read(events[i].data.fd, buffer, sizeof buffer) > 0) {}
        }
    }
    pin(0);
    int *sockets = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        sockets[i] = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(sockets[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(sockets[i], (struct sockaddr *)&address, sizeof address)) { perror("connect"); return 1; }
    }
    char *frame = malloc(size);
    memset(frame, 'x', size);
    sleep(1);
    long writes = 0;
    double started = now(), cpu = cpu_seconds();
    while (now() - started < seconds) {
        for (int i = 0; i < n; i++) {
            // A full socket buffer (the reader behind) is skipped, not waited for.
            if (send(sockets[i], frame, size, MSG_DONTWAIT) == size) writes++;
        }
    }
    double elapsed = now() - started, used = cpu_seconds() - cpu;
    printf("%d sockets, %d-byte frames: %.0f writes/s on one core, %.2f us of sender CPU per write (%.0f%% of the core)\n",
        n, size, writes / elapsed, used / writes * 1e6, used / elapsed * 100);
    kill(reader, SIGKILL);
    waitpid(reader, NULL, 0);
    return 0;
}
