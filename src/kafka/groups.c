/*
 * groups.c - the group coordinator: FindCoordinator (v0-v3), JoinGroup
 * (v0-v7), SyncGroup (v0-v5), Heartbeat (v0-v4), LeaveGroup (v0-v5),
 * DescribeGroups (v0-v5) and ListGroups (v0-v4), for Kafka's classic
 * consumer group protocol. (Committed offsets: offsets.c.)
 *
 * How it works: floe is every group's coordinator. A group's state is
 * Kafka's: Empty, PreparingRebalance (members join), CompletingRebalance
 * (the leader computes the assignment), Stable. The broker never
 * assigns: it relays each member's protocols and metadata to the leader
 * in the JoinGroup reply, and the leader's assignments to each member in
 * its SyncGroup reply. Each connection has its own thread, so a JoinGroup
 * or SyncGroup simply waits (on gs->cond, under gs->lock) until the
 * round completes: a join round ends when every member of the last
 * generation has joined again or the rebalance timeout passes (members
 * that did not join are dropped); then the generation goes up, the
 * first member to join leads, and the protocol is the leader's first
 * one every member supports. A member whose session timeout passes
 * without a heartbeat, join or sync is removed when the group is next
 * touched (every member heartbeats every few seconds), which starts a
 * rebalance; the others learn it as REBALANCE_IN_PROGRESS on their
 * heartbeat and join again.
 *
 * Groups live in memory: after a restart, consumers join again (their
 * committed offsets are the log's, offsets.c). Locks: gs->lock guards
 * every group; nothing else is locked under it.
 */
#include "kafka/kafka_int.h"

#include "core/mem.h"
#include "core/time.h"
#include "core/uuid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define GROUPS_MAX 10000
#define MEMBERS_MAX 1000
#define PROTOCOLS_MAX 16
#define SESSION_MIN_MS 1000
#define SESSION_MAX_MS 1800000

enum { EMPTY, PREPARING, COMPLETING, STABLE };
static const char *const STATE_NAMES[] = {"Empty", "PreparingRebalance", "CompletingRebalance",
                                          "Stable"};

struct proto {
    char *name;
    uint8_t *meta;
    size_t meta_len;
};

struct member {
    char *id, *client_id;
    int32_t session_ms, rebalance_ms;
    int64_t seen_us;
    struct proto protos[PROTOCOLS_MAX];
    int nprotos;
    bool joining; /* in the join round under way */
    uint8_t *assign;
    size_t assign_len;
};

struct group {
    char *id;
    int state;
    int32_t gen;
    char *ptype, *proto, *leader;
    struct member **members;
    int nmembers;
    int64_t join_deadline_us;
};

struct fl_kafka_groups {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct group **groups;
    int ngroups;
};

static char *strndup_kafka(struct fl_kafka_str s) {
    char *p = fl_malloc((size_t)(s.len > 0 ? s.len : 0) + 1);
    if (s.len > 0) memcpy(p, s.p, (size_t)s.len);
    p[s.len > 0 ? s.len : 0] = 0;
    return p;
}

static bool str_eq(struct fl_kafka_str s, const char *z) {
    return s.len >= 0 && strlen(z) == (size_t)s.len && !memcmp(s.p, z, (size_t)s.len);
}

fl_err_t fl_kafka_groups_new(struct fl_kafka_groups **out, struct fl_error *err) {
    (void)err;
    struct fl_kafka_groups *gs = fl_calloc(1, sizeof(*gs));
    pthread_mutex_init(&gs->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&gs->cond, &ca);
    pthread_condattr_destroy(&ca);
    *out = gs;
    return FL_OK;
}

static void member_free(struct member *m) {
    for (int i = 0; i < m->nprotos; i++) {
        fl_free(m->protos[i].name);
        fl_free(m->protos[i].meta);
    }
    fl_free(m->id);
    fl_free(m->client_id);
    fl_free(m->assign);
    fl_free(m);
}

void fl_kafka_groups_free(struct fl_kafka_groups *gs) {
    if (!gs) return;
    for (int i = 0; i < gs->ngroups; i++) {
        struct group *g = gs->groups[i];
        for (int j = 0; j < g->nmembers; j++) member_free(g->members[j]);
        fl_free(g->members);
        fl_free(g->id);
        fl_free(g->ptype);
        fl_free(g->proto);
        fl_free(g->leader);
        fl_free(g);
    }
    fl_free(gs->groups);
    pthread_cond_destroy(&gs->cond);
    pthread_mutex_destroy(&gs->lock);
    fl_free(gs);
}

static struct group *group_find(struct fl_kafka_groups *gs, struct fl_kafka_str id) {
    for (int i = 0; i < gs->ngroups; i++)
        if (str_eq(id, gs->groups[i]->id)) return gs->groups[i];
    return NULL;
}

static struct group *group_get(struct fl_kafka_groups *gs, struct fl_kafka_str id) {
    struct group *g = group_find(gs, id);
    if (g || gs->ngroups >= GROUPS_MAX) return g;
    g = fl_calloc(1, sizeof(*g));
    g->id = strndup_kafka(id);
    g->state = EMPTY;
    gs->groups = fl_realloc(gs->groups, (size_t)(gs->ngroups + 1) * sizeof(*gs->groups));
    gs->groups[gs->ngroups++] = g;
    return g;
}

static int member_index(const struct group *g, struct fl_kafka_str id) {
    for (int i = 0; i < g->nmembers; i++)
        if (str_eq(id, g->members[i]->id)) return i;
    return -1;
}

static struct member *member_find(const struct group *g, struct fl_kafka_str id) {
    int i = member_index(g, id);
    return i < 0 ? NULL : g->members[i];
}

static void rebalance(struct fl_kafka_groups *gs, struct group *g, int64_t now) {
    if (g->nmembers == 0) {
        g->state = EMPTY;
        fl_free(g->leader);
        g->leader = NULL;
    } else if (g->state != PREPARING) {
        g->state = PREPARING;
        int32_t t = 0;
        for (int i = 0; i < g->nmembers; i++) {
            g->members[i]->joining = false;
            if (g->members[i]->rebalance_ms > t) t = g->members[i]->rebalance_ms;
        }
        g->join_deadline_us = now + (int64_t)t * 1000;
    }
    pthread_cond_broadcast(&gs->cond);
}

static void member_remove(struct fl_kafka_groups *gs, struct group *g, int i, int64_t now) {
    member_free(g->members[i]);
    g->members[i] = g->members[--g->nmembers];
    rebalance(gs, g, now);
}

/* Drops members whose session timed out. @locks gs->lock */
static void expire(struct fl_kafka_groups *gs, struct group *g, int64_t now) {
    for (int i = g->nmembers - 1; i >= 0; i--) {
        struct member *m = g->members[i];
        if (!m->joining && now - m->seen_us > (int64_t)m->session_ms * 1000)
            member_remove(gs, g, i, now);
    }
}

/* The leader's first protocol that every member supports, or NULL. */
static const char *pick_protocol(const struct group *g, const struct member *leader) {
    for (int p = 0; p < leader->nprotos; p++) {
        bool all = true;
        for (int i = 0; i < g->nmembers && all; i++) {
            bool has = false;
            for (int q = 0; q < g->members[i]->nprotos; q++)
                has |= !strcmp(g->members[i]->protos[q].name, leader->protos[p].name);
            all = has;
        }
        if (all) return leader->protos[p].name;
    }
    return NULL;
}

/* Ends a join round: members that did not join are dropped, the
 * generation goes up. @locks gs->lock */
static void complete_join(struct fl_kafka_groups *gs, struct group *g, int64_t now) {
    for (int i = g->nmembers - 1; i >= 0; i--)
        if (!g->members[i]->joining) {
            member_free(g->members[i]);
            g->members[i] = g->members[--g->nmembers];
        }
    g->gen++;
    if (g->nmembers == 0) {
        g->state = EMPTY;
    } else {
        struct member *leader = NULL;
        for (int i = 0; i < g->nmembers && g->leader; i++)
            if (!strcmp(g->members[i]->id, g->leader)) leader = g->members[i];
        if (!leader) leader = g->members[0];
        fl_free(g->leader);
        g->leader = fl_strdup(leader->id);
        const char *p = pick_protocol(g, leader);
        fl_free(g->proto);
        g->proto = p ? fl_strdup(p) : NULL;
        g->state = COMPLETING;
        for (int i = 0; i < g->nmembers; i++) {
            g->members[i]->joining = false;
            g->members[i]->seen_us = now;
            fl_free(g->members[i]->assign);
            g->members[i]->assign = NULL;
            g->members[i]->assign_len = 0;
        }
    }
    pthread_cond_broadcast(&gs->cond);
}

static bool all_joined(const struct group *g) {
    for (int i = 0; i < g->nmembers; i++)
        if (!g->members[i]->joining) return false;
    return true;
}

static void wait_until(struct fl_kafka_groups *gs, int64_t deadline_us) {
    struct timespec ts = {(time_t)(deadline_us / 1000000), (long)(deadline_us % 1000000) * 1000};
    pthread_cond_timedwait(&gs->cond, &gs->lock, &ts);
}

void fl_kafka_groups_wake(struct fl_kafka_groups *gs) {
    pthread_mutex_lock(&gs->lock);
    pthread_cond_broadcast(&gs->cond);
    pthread_mutex_unlock(&gs->lock);
}

static struct fl_kafka_groups *groups_of(struct fl_kafka *k) { return k->groups; }

/* ---- FindCoordinator ---- */

fl_err_t fl_kafka_find_coordinator(struct fl_kafka *k, struct fl_kafka_req *rq,
                                   struct fl_kafka_rd *rd, struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    (void)fl_kafka_rd_str(rd, flex); /* the group (or transactional id): floe is every one's */
    int8_t type = rq->version >= 1 ? fl_kafka_rd_i8(rd) : 0;
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    int16_t code = type == 0 ? FL_KAFKA_NONE : FL_KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_i16(w, code);
    if (rq->version >= 1) fl_kafka_wr_str(w, flex, code ? "transactions are not supported" : NULL);
    fl_kafka_wr_i32(w, code ? -1 : FL_KAFKA_NODE_ID);
    fl_kafka_wr_str(w, flex, code ? "" : k->cfg.advertised_host);
    fl_kafka_wr_i32(w, code ? -1 : atomic_load(&k->port));
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

/* ---- JoinGroup ---- */

struct join_req {
    struct fl_kafka_str group, member, ptype;
    int32_t session_ms, rebalance_ms;
    int32_t nprotos;
    struct fl_kafka_str pnames[PROTOCOLS_MAX];
    const uint8_t *pmeta[PROTOCOLS_MAX];
    size_t pmeta_len[PROTOCOLS_MAX];
};

static fl_err_t join_read(struct fl_kafka_req *rq, struct fl_kafka_rd *rd, struct join_req *j) {
    bool flex = rq->flex;
    j->group = fl_kafka_rd_str(rd, flex);
    j->session_ms = fl_kafka_rd_i32(rd);
    j->rebalance_ms = rq->version >= 1 ? fl_kafka_rd_i32(rd) : j->session_ms;
    j->member = fl_kafka_rd_str(rd, flex);
    if (rq->version >= 5) (void)fl_kafka_rd_str(rd, flex); /* group instance id: static */
    j->ptype = fl_kafka_rd_str(rd, flex);
    int32_t n = fl_kafka_rd_array(rd, flex, 3);
    for (int32_t i = 0; i < n && !rd->bad; i++) {
        struct fl_kafka_str name = fl_kafka_rd_str(rd, flex);
        const uint8_t *meta;
        size_t len;
        fl_kafka_rd_bytes(rd, flex, &meta, &len);
        fl_kafka_rd_tags(rd, flex);
        if (j->nprotos < PROTOCOLS_MAX) {
            j->pnames[j->nprotos] = name;
            j->pmeta[j->nprotos] = meta;
            j->pmeta_len[j->nprotos++] = len;
        }
    }
    fl_kafka_rd_tags(rd, flex);
    return rd->bad ? FL_ERR_CORRUPT : FL_OK;
}

/* A member's metadata for the group's chosen protocol (empty when none). */
static void write_meta(struct fl_kafka_wr *w, bool flex, const struct group *g,
                       const struct member *m) {
    const struct proto *p = NULL;
    for (int q = 0; q < m->nprotos; q++)
        if (g->proto && !strcmp(m->protos[q].name, g->proto)) p = &m->protos[q];
    fl_kafka_wr_bytes(w, flex, p ? p->meta : NULL, p ? p->meta_len : 0);
}

static void join_reply(struct fl_kafka_req *rq, struct fl_kafka_wr *w, int16_t code,
                       const struct group *g, const char *member_id, bool leader) {
    bool flex = rq->flex;
    if (rq->version >= 2) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_i16(w, code);
    fl_kafka_wr_i32(w, code || !g ? -1 : g->gen);
    if (rq->version >= 7) fl_kafka_wr_str(w, flex, g && !code ? g->ptype : NULL);
    fl_kafka_wr_str(w, flex, g && !code ? g->proto : rq->version >= 7 ? NULL : "");
    fl_kafka_wr_str(w, flex, g && !code && g->leader ? g->leader : "");
    fl_kafka_wr_str(w, flex, member_id ? member_id : "");
    int n = leader && g && !code ? g->nmembers : 0;
    fl_kafka_wr_array(w, flex, n);
    for (int i = 0; i < n; i++) {
        const struct member *m = g->members[i];
        fl_kafka_wr_str(w, flex, m->id);
        if (rq->version >= 5) fl_kafka_wr_str(w, flex, NULL);
        write_meta(w, flex, g, m);
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_wr_tags(w, flex);
}

static void member_set_protos(struct member *m, const struct join_req *j) {
    for (int i = 0; i < m->nprotos; i++) {
        fl_free(m->protos[i].name);
        fl_free(m->protos[i].meta);
    }
    m->nprotos = 0;
    for (int i = 0; i < j->nprotos; i++, m->nprotos++) {
        m->protos[i].name = strndup_kafka(j->pnames[i]);
        m->protos[i].meta_len = j->pmeta_len[i];
        m->protos[i].meta = fl_malloc(j->pmeta_len[i] + 1);
        if (j->pmeta_len[i]) memcpy(m->protos[i].meta, j->pmeta[i], j->pmeta_len[i]);
    }
}

/* Whether one of the join's protocols is one every other member has. */
static bool protocols_fit(const struct group *g, const struct join_req *j) {
    int others = 0;
    for (int i = 0; i < g->nmembers; i++) others += !str_eq(j->member, g->members[i]->id);
    if (others == 0) return true;
    for (int p = 0; p < j->nprotos; p++) {
        bool all = true;
        for (int i = 0; i < g->nmembers && all; i++) {
            const struct member *m = g->members[i];
            if (str_eq(j->member, m->id)) continue;
            bool has = false;
            for (int q = 0; q < m->nprotos && !has; q++)
                has = str_eq(j->pnames[p], m->protos[q].name);
            all = has;
        }
        if (all) return true;
    }
    return false;
}

/* Checks a join and finds or adds its member; a Kafka code. */
static int16_t join_member(struct fl_kafka_req *rq, const struct join_req *j, struct group *g,
                           char **member_id, struct member **out) {
    if (j->group.len <= 0) return FL_KAFKA_INVALID_GROUP_ID;
    if (j->session_ms < SESSION_MIN_MS || j->session_ms > SESSION_MAX_MS)
        return FL_KAFKA_INVALID_SESSION_TIMEOUT;
    if (j->nprotos == 0 || j->ptype.len <= 0 ||
        (g->nmembers > 0 && g->ptype && !str_eq(j->ptype, g->ptype)) || !protocols_fit(g, j))
        return FL_KAFKA_INCONSISTENT_GROUP_PROTOCOL;
    struct member *m = j->member.len > 0 ? member_find(g, j->member) : NULL;
    if (!m) {
        if (g->nmembers >= MEMBERS_MAX) return FL_KAFKA_REBALANCE_IN_PROGRESS;
        char uuid[40];
        fl_uuid_v4_text(uuid);
        char *id = j->member.len > 0 ? strndup_kafka(j->member) : NULL;
        if (!id) {
            char cid[128];
            int n = rq->client_id.len > 0 ? (rq->client_id.len > 100 ? 100 : rq->client_id.len) : 0;
            snprintf(cid, sizeof(cid), "%.*s", n, n ? rq->client_id.p : "");
            size_t sz = strlen(cid) + strlen(uuid) + 2;
            id = fl_malloc(sz);
            snprintf(id, sz, "%s-%s", cid, uuid);
        }
        *member_id = id;
        if (j->member.len <= 0 && rq->version >= 4) return FL_KAFKA_MEMBER_ID_REQUIRED;
        m = fl_calloc(1, sizeof(*m));
        m->id = fl_strdup(id);
        m->client_id = strndup_kafka(rq->client_id);
        g->members = fl_realloc(g->members, (size_t)(g->nmembers + 1) * sizeof(*g->members));
        g->members[g->nmembers++] = m;
    } else {
        *member_id = fl_strdup(m->id);
    }
    if (!g->ptype || g->nmembers == 1) {
        fl_free(g->ptype);
        g->ptype = strndup_kafka(j->ptype);
    }
    m->session_ms = j->session_ms;
    m->rebalance_ms = j->rebalance_ms > 0 ? j->rebalance_ms : j->session_ms;
    member_set_protos(m, j);
    *out = m;
    return FL_KAFKA_NONE;
}

fl_err_t fl_kafka_join_group(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                             struct fl_kafka_wr *w) {
    struct join_req j = {0};
    if (join_read(rq, rd, &j)) return FL_ERR_CORRUPT;
    struct fl_kafka_groups *gs = groups_of(k);
    char *member_id = NULL;
    pthread_mutex_lock(&gs->lock);
    int64_t now = fl_time_mono_us();
    struct group *g = !rq->denied && j.group.len > 0 ? group_get(gs, j.group) : NULL;
    struct member *m = NULL;
    int16_t code = rq->denied ? rq->denied : !g ? FL_KAFKA_INVALID_GROUP_ID : FL_KAFKA_NONE;
    if (g) expire(gs, g, now);
    if (!code) code = join_member(rq, &j, g, &member_id, &m);
    if (!code) {
        m->seen_us = now;
        rebalance(gs, g, now);
        m->joining = true;
        int32_t gen = g->gen;
        struct fl_kafka_str me = {member_id, (int32_t)strlen(member_id)};
        /* a round lasts at most the rebalance timeout and max_block_ms */
        int64_t cap = now + (int64_t)k->cfg.max_block_ms * 1000;
        if (g->join_deadline_us > cap) g->join_deadline_us = cap;
        /* wait for the round to end: every member joined, or the timeout;
         * members whose session ends meanwhile are dropped (each second) */
        while (g->gen == gen) {
            if (!member_find(g, me)) {
                code = FL_KAFKA_UNKNOWN_MEMBER_ID;
                break;
            }
            now = fl_time_mono_us();
            expire(gs, g, now);
            if (all_joined(g) || now >= g->join_deadline_us || atomic_load(&k->stopping)) {
                complete_join(gs, g, now);
                break;
            }
            int64_t wake = now + 1000000;
            wait_until(gs, wake < g->join_deadline_us ? wake : g->join_deadline_us);
        }
    }
    bool leader = !code && g->leader && !strcmp(g->leader, member_id);
    join_reply(rq, w, code, g, member_id, leader);
    pthread_mutex_unlock(&gs->lock);
    fl_free(member_id);
    return FL_OK;
}

/* ---- SyncGroup, Heartbeat, LeaveGroup ---- */

/* The member of a request with its generation checked; a Kafka code. */
static int16_t member_check(struct fl_kafka_groups *gs, struct fl_kafka_str group,
                            struct fl_kafka_str member, int32_t gen, struct group **g,
                            struct member **m) {
    int64_t now = fl_time_mono_us();
    *g = group_find(gs, group);
    *m = NULL;
    if (!*g) return FL_KAFKA_UNKNOWN_MEMBER_ID;
    expire(gs, *g, now);
    *m = member_find(*g, member);
    if (!*m) return FL_KAFKA_UNKNOWN_MEMBER_ID;
    (*m)->seen_us = now;
    if (gen != (*g)->gen) return FL_KAFKA_ILLEGAL_GENERATION;
    if ((*g)->state == PREPARING) return FL_KAFKA_REBALANCE_IN_PROGRESS;
    return FL_KAFKA_NONE;
}

/* SyncGroup's and Heartbeat's first fields: group, generation (returned),
 * member and (v3+) group instance id. */
static int32_t read_member(struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                           struct fl_kafka_str *group, struct fl_kafka_str *member) {
    *group = fl_kafka_rd_str(rd, rq->flex);
    int32_t gen = fl_kafka_rd_i32(rd);
    *member = fl_kafka_rd_str(rd, rq->flex);
    if (rq->version >= 3) (void)fl_kafka_rd_str(rd, rq->flex);
    return gen;
}

fl_err_t fl_kafka_sync_group(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                             struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    struct fl_kafka_str group, member;
    int32_t gen = read_member(rq, rd, &group, &member);
    if (rq->version >= 5) {
        (void)fl_kafka_rd_str(rd, flex);
        (void)fl_kafka_rd_str(rd, flex);
    }
    struct fl_kafka_rd assigns = *rd;
    int32_t n = fl_kafka_rd_array(rd, flex, 6);
    for (int32_t i = 0; i < n && !rd->bad; i++) {
        const uint8_t *p;
        size_t len;
        (void)fl_kafka_rd_str(rd, flex);
        fl_kafka_rd_bytes(rd, flex, &p, &len);
        fl_kafka_rd_tags(rd, flex);
    }
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    struct fl_kafka_groups *gs = groups_of(k);
    pthread_mutex_lock(&gs->lock);
    struct group *g = NULL;
    struct member *m = NULL;
    int16_t code = rq->denied ? rq->denied : member_check(gs, group, member, gen, &g, &m);
    if (!code && g->state == COMPLETING && g->leader && str_eq(member, g->leader)) {
        (void)fl_kafka_rd_array(&assigns, flex, 6);
        for (int32_t i = 0; i < n; i++) {
            const uint8_t *p;
            size_t len;
            struct fl_kafka_str id = fl_kafka_rd_str(&assigns, flex);
            fl_kafka_rd_bytes(&assigns, flex, &p, &len);
            fl_kafka_rd_tags(&assigns, flex);
            struct member *to = member_find(g, id);
            if (!to) continue;
            fl_free(to->assign);
            to->assign = fl_malloc(len + 1);
            if (len) memcpy(to->assign, p, len);
            to->assign_len = len;
        }
        g->state = STABLE;
        pthread_cond_broadcast(&gs->cond);
    }
    /* a follower waits for the leader's assignment */
    int32_t wait_ms = m ? m->session_ms : 0;
    if (wait_ms > k->cfg.max_block_ms) wait_ms = k->cfg.max_block_ms;
    int64_t deadline = fl_time_mono_us() + (int64_t)wait_ms * 1000;
    while (!code && g->state == COMPLETING && g->gen == gen && fl_time_mono_us() < deadline &&
           !atomic_load(&k->stopping)) {
        wait_until(gs, deadline);
        m = member_find(g, member);
        if (!m) code = FL_KAFKA_UNKNOWN_MEMBER_ID;
    }
    if (!code && (g->gen != gen || g->state != STABLE)) code = FL_KAFKA_REBALANCE_IN_PROGRESS;
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_i16(w, code);
    if (rq->version >= 5) {
        fl_kafka_wr_str(w, flex, !code ? g->ptype : NULL);
        fl_kafka_wr_str(w, flex, !code ? g->proto : NULL);
    }
    fl_kafka_wr_bytes(w, flex, !code ? m->assign : NULL, !code && m->assign ? m->assign_len : 0);
    fl_kafka_wr_tags(w, flex);
    pthread_mutex_unlock(&gs->lock);
    return FL_OK;
}

fl_err_t fl_kafka_heartbeat(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                            struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    struct fl_kafka_str group, member;
    int32_t gen = read_member(rq, rd, &group, &member);
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    struct fl_kafka_groups *gs = groups_of(k);
    pthread_mutex_lock(&gs->lock);
    struct group *g;
    struct member *m;
    int16_t code = rq->denied ? rq->denied : member_check(gs, group, member, gen, &g, &m);
    pthread_mutex_unlock(&gs->lock);
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_i16(w, code);
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

fl_err_t fl_kafka_leave_group(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                              struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    struct fl_kafka_str group = fl_kafka_rd_str(rd, flex);
    struct fl_kafka_str ids[MEMBERS_MAX];
    int32_t n = 1;
    if (rq->version <= 2) {
        ids[0] = fl_kafka_rd_str(rd, flex);
    } else {
        n = fl_kafka_rd_array(rd, flex, 4);
        for (int32_t i = 0; i < n && !rd->bad; i++) {
            struct fl_kafka_str id = fl_kafka_rd_str(rd, flex);
            if (i < MEMBERS_MAX) ids[i] = id;
            (void)fl_kafka_rd_str(rd, flex);                       /* group instance id */
            if (rq->version >= 5) (void)fl_kafka_rd_str(rd, flex); /* reason */
            fl_kafka_rd_tags(rd, flex);
        }
        if (n > MEMBERS_MAX) n = MEMBERS_MAX;
    }
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    struct fl_kafka_groups *gs = groups_of(k);
    int16_t codes[MEMBERS_MAX];
    pthread_mutex_lock(&gs->lock);
    struct group *g = rq->denied ? NULL : group_find(gs, group);
    int16_t code = rq->denied;
    for (int32_t i = 0; i < n; i++) {
        int at = g ? member_index(g, ids[i]) : -1;
        codes[i] = rq->denied ? rq->denied : at < 0 ? FL_KAFKA_UNKNOWN_MEMBER_ID : FL_KAFKA_NONE;
        if (at >= 0) member_remove(gs, g, at, fl_time_mono_us());
    }
    pthread_mutex_unlock(&gs->lock);
    if (rq->version <= 2 && n == 1) code = codes[0];
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_i16(w, code);
    if (rq->version >= 3) {
        fl_kafka_wr_array(w, flex, n);
        for (int32_t i = 0; i < n; i++) {
            fl_kafka_wr_kstr(w, flex, ids[i]);
            fl_kafka_wr_str(w, flex, NULL);
            fl_kafka_wr_i16(w, codes[i]);
            fl_kafka_wr_tags(w, flex);
        }
    }
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

/* ---- DescribeGroups, ListGroups ---- */

static void describe_one(struct fl_kafka_req *rq, struct fl_kafka_wr *w, struct fl_kafka_str id,
                         const struct group *g) {
    bool flex = rq->flex;
    fl_kafka_wr_i16(w, rq->denied);
    fl_kafka_wr_kstr(w, flex, id);
    fl_kafka_wr_str(w, flex, g ? STATE_NAMES[g->state] : "Dead");
    fl_kafka_wr_str(w, flex, g && g->ptype ? g->ptype : "");
    fl_kafka_wr_str(w, flex, g && g->proto && g->state == STABLE ? g->proto : "");
    int n = g ? g->nmembers : 0;
    fl_kafka_wr_array(w, flex, n);
    for (int i = 0; i < n; i++) {
        const struct member *m = g->members[i];
        fl_kafka_wr_str(w, flex, m->id);
        if (rq->version >= 4) fl_kafka_wr_str(w, flex, NULL);
        fl_kafka_wr_str(w, flex, m->client_id);
        fl_kafka_wr_str(w, flex, "/127.0.0.1");
        write_meta(w, flex, g, m);
        fl_kafka_wr_bytes(w, flex, m->assign, m->assign_len);
        fl_kafka_wr_tags(w, flex);
    }
    if (rq->version >= 3) fl_kafka_wr_i32(w, INT32_MIN);
    fl_kafka_wr_tags(w, flex);
}

fl_err_t fl_kafka_describe_groups(struct fl_kafka *k, struct fl_kafka_req *rq,
                                  struct fl_kafka_rd *rd, struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    struct fl_kafka_rd names = *rd;
    int32_t n = fl_kafka_rd_array(rd, flex, 1);
    for (int32_t i = 0; i < n && !rd->bad; i++) (void)fl_kafka_rd_str(rd, flex);
    if (rq->version >= 3) (void)fl_kafka_rd_i8(rd);
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad || n < 0) return FL_ERR_CORRUPT;
    struct fl_kafka_groups *gs = groups_of(k);
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_array(w, flex, n);
    (void)fl_kafka_rd_array(&names, flex, 1);
    pthread_mutex_lock(&gs->lock);
    for (int32_t i = 0; i < n; i++) {
        struct fl_kafka_str id = fl_kafka_rd_str(&names, flex);
        struct group *g = rq->denied ? NULL : group_find(gs, id);
        if (g) expire(gs, g, fl_time_mono_us());
        describe_one(rq, w, id, g);
    }
    pthread_mutex_unlock(&gs->lock);
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

fl_err_t fl_kafka_list_groups(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                              struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    int32_t nf = 0;
    struct fl_kafka_str filter[8];
    if (rq->version >= 4) {
        int32_t n = fl_kafka_rd_array(rd, flex, 1);
        for (int32_t i = 0; i < n && !rd->bad; i++) {
            struct fl_kafka_str s = fl_kafka_rd_str(rd, flex);
            if (nf < 8) filter[nf++] = s;
        }
    }
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    struct fl_kafka_groups *gs = groups_of(k);
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_i16(w, FL_KAFKA_NONE);
    pthread_mutex_lock(&gs->lock);
    int count = 0;
    bool *show = fl_calloc((size_t)gs->ngroups + 1, sizeof(*show));
    for (int i = 0; i < gs->ngroups; i++) {
        bool ok = nf == 0;
        for (int f = 0; f < nf; f++) ok |= str_eq(filter[f], STATE_NAMES[gs->groups[i]->state]);
        show[i] = ok;
        count += ok;
    }
    fl_kafka_wr_array(w, flex, count);
    for (int i = 0; i < gs->ngroups; i++) {
        if (!show[i]) continue;
        const struct group *g = gs->groups[i];
        fl_kafka_wr_str(w, flex, g->id);
        fl_kafka_wr_str(w, flex, g->ptype ? g->ptype : "");
        if (rq->version >= 4) fl_kafka_wr_str(w, flex, STATE_NAMES[g->state]);
        fl_kafka_wr_tags(w, flex);
    }
    pthread_mutex_unlock(&gs->lock);
    fl_free(show);
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

int16_t fl_kafka_group_check(struct fl_kafka *k, struct fl_kafka_str group,
                             struct fl_kafka_str member, int32_t gen) {
    if (gen < 0 && member.len <= 0) return FL_KAFKA_NONE; /* a commit outside any group */
    struct fl_kafka_groups *gs = groups_of(k);
    pthread_mutex_lock(&gs->lock);
    struct group *g;
    struct member *m;
    int16_t code = member_check(gs, group, member, gen, &g, &m);
    /* a commit during a rebalance from the last generation is still its own */
    if (code == FL_KAFKA_REBALANCE_IN_PROGRESS) code = FL_KAFKA_NONE;
    pthread_mutex_unlock(&gs->lock);
    return code;
}
