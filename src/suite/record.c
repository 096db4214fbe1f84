/* record.c: the submit record to and from its JSON form (see record.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "record.h"

char *ts_submit_record_to_json(const ts_submit_record *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    /* Keys in this order: the bytes stay what earlier releases wrote. */
    cJSON_AddStringToObject(o, "submit_key", r->submit_key ? r->submit_key : "");
    cJSON_AddStringToObject(o, "file", r->file ? r->file : "");
    cJSON_AddStringToObject(o, "workdir", r->workdir ? r->workdir : "");
    cJSON_AddStringToObject(o, "tasksuite", r->self ? r->self : "");
    cJSON_AddBoolToObject(o, "local", r->local);
    cJSON_AddStringToObject(o, "yaml", r->yaml ? r->yaml : "");
    if (r->candidate > 0)
        cJSON_AddNumberToObject(o, "candidate", (double)r->candidate);
    if (r->nafter) {    /* only then: other records keep their bytes */
        cJSON *a = cJSON_AddArrayToObject(o, "after");
        for (size_t i = 0; a && i < r->nafter; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(r->after[i]));
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int take_str(const cJSON *o, const char *key, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (!cJSON_IsString(v))
        return 0;
    return (*out = strdup(v->valuestring)) ? 0 : -1;
}

int ts_submit_record_from_json(const char *json, ts_submit_record *r, ts_err *err)
{
    memset(r, 0, sizeof *r);
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ts_errf(err, "the submit record is not a JSON object");
    }
    r->local = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "local"));
    const cJSON *cand = cJSON_GetObjectItemCaseSensitive(o, "candidate");
    r->candidate = cJSON_IsNumber(cand) && cand->valuedouble >= 0 ? (long)cand->valuedouble : 0;
    int rc = take_str(o, "submit_key", &r->submit_key) | take_str(o, "file", &r->file)
             | take_str(o, "workdir", &r->workdir) | take_str(o, "tasksuite", &r->self)
             | take_str(o, "yaml", &r->yaml);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "after"), *it;
    if (cJSON_IsArray(a) && cJSON_GetArraySize(a) > 0) {
        r->after = calloc((size_t)cJSON_GetArraySize(a), sizeof *r->after);
        if (!r->after)
            rc = -1;
        cJSON_ArrayForEach(it, a)
            if (r->after && cJSON_IsString(it)) {
                if (!(r->after[r->nafter] = strdup(it->valuestring)))
                    rc = -1;
                else
                    r->nafter++;
            }
    }
    cJSON_Delete(o);
    if (rc < 0) {
        ts_submit_record_free(r);
        return ts_errf(err, "out of memory");
    }
    return 0;
}

void ts_submit_record_free(ts_submit_record *r)
{
    free(r->submit_key);
    free(r->file);
    free(r->workdir);
    free(r->self);
    free(r->yaml);
    for (size_t i = 0; i < r->nafter; i++)
        free(r->after[i]);
    free(r->after);
    memset(r, 0, sizeof *r);
}

bool ts_submit_record_is_local(const char *json)
{
    ts_submit_record r;
    ts_err err = { 0 };
    if (!json || ts_submit_record_from_json(json, &r, &err) < 0)
        return false;
    bool local = r.local;
    ts_submit_record_free(&r);
    return local;
}
