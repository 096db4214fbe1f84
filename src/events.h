#ifndef TS_EVENTS_H
#define TS_EVENTS_H
#endif
