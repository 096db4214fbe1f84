/* nodes.c: what the cluster's nodes offer, for the two questions about
 * them that are not about tasksuite's jobs: does a set of resources fit
 * anywhere (resources.any_of, spec.h: ts_candidates), and what address
 * does each node of an allocation have (SKYPILOT_NODE_IPS).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slurm_int.h"

/* GPUs of `type` (NULL: any) in a node's gres text, "gpu:a100:4(S:0),..." */
static long gpus_of(const char *gres, const char *type)
{
    long n = 0;
    char *copy = gres ? strdup(gres) : NULL, *save = NULL;
    for (char *e = copy ? strtok_r(copy, ",", &save) : NULL; e; e = strtok_r(NULL, ",", &save)) {
        char *paren = strchr(e, '(');
        if (paren)
            *paren = '\0';
        if (strncmp(e, "gpu", 3) != 0 || (e[3] && e[3] != ':'))
            continue;
        char *last = strrchr(e, ':');
        if (!last)
            continue;
        long cnt = strtol(last + 1, NULL, 10);
        if (type) {
            char *first = strchr(e, ':');
            if (first == last || (size_t)(last - first - 1) != strlen(type)
                || strncasecmp(first + 1, type, strlen(type)) != 0)
                continue;
        }
        n += cnt;
    }
    free(copy);
    return n;
}

static bool in_partition(const char *list, const char *part)
{
    size_t n = strlen(part);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, part, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

int ts_slurm_resources_fit(const ts_resources *r, int num_nodes, const char *partition,
                           bool *fits, ts_err *err)
{
    node_info_msg_t *msg = NULL;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (slurm_load_node((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        return ts_slurm_rpc_error(err, errno, "list the cluster's nodes");
    int ok = 0;
    for (uint32_t i = 0; i < msg->record_count; i++) {
        const node_info_t *n = &msg->node_array[i];
        if (!n->name || (partition && !in_partition(n->partitions, partition)))
            continue;
        if ((r->cpus && n->cpus < r->cpus) || (r->memory_mb && n->real_memory < r->memory_mb)
            || (r->gpu_count && gpus_of(n->gres, r->gpu_type) < r->gpu_count))
            continue;
        ok++;
    }
    slurm_free_node_info_msg(msg);
    *fits = ok >= (num_nodes > 0 ? num_nodes : 1);
    return 0;
}

/* A NodeAddr that is a host name, as an IP address (what SkyPilot's
 * SKYPILOT_NODE_IPS holds); the name when it does not resolve. */
static const char *as_ip(const char *addr, char *buf, size_t n)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    unsigned char probe[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, addr, probe) == 1 || inet_pton(AF_INET6, addr, probe) == 1)
        return addr;
    if (getaddrinfo(addr, NULL, &hints, &res) != 0 || !res)
        return addr;
    const void *a = res->ai_family == AF_INET
                        ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                        : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
    const char *ip = inet_ntop(res->ai_family, a, buf, (socklen_t)n);
    freeaddrinfo(res);
    return ip ? ip : addr;
}

int ts_slurm_node_addrs(const char *nodelist, char **out, ts_err *err)
{
    node_info_msg_t *msg = NULL;
    ts_hostlist hl;
    char *host;
    size_t len = 0, cap = 256;
    char *buf = malloc(cap);

    *out = NULL;
    if (!buf)
        return ts_errf(err, "out of memory");
    buf[0] = '\0';
    if (ts_slurm_init(err) < 0 || !(hl = slurm_hostlist_create(nodelist))) {
        free(buf);
        return err->msg[0] ? -1 : ts_errf(err, "%s: not a node list", nodelist);
    }
    if (slurm_load_node((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        msg = NULL;       /* the names themselves, below */
    while ((host = slurm_hostlist_shift(hl))) {
        const char *addr = host;
        char ipbuf[INET6_ADDRSTRLEN];
        for (uint32_t i = 0; msg && i < msg->record_count; i++)
            if (msg->node_array[i].name && strcmp(msg->node_array[i].name, host) == 0
                && msg->node_array[i].node_addr && msg->node_array[i].node_addr[0])
                addr = as_ip(msg->node_array[i].node_addr, ipbuf, sizeof ipbuf);
        size_t need = len + strlen(addr) + 2;
        if (need > cap) {
            char *nb = realloc(buf, need * 2);
            if (!nb) {
                free(host);
                break;
            }
            buf = nb;
            cap = need * 2;
        }
        len += (size_t)sprintf(buf + len, "%s%s", len ? "\n" : "", addr);
        free(host);
    }
    slurm_hostlist_destroy(hl);
    if (msg)
        slurm_free_node_info_msg(msg);
    *out = buf;
    return 0;
}
