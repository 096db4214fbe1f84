#ifndef TS_JOURNAL_H
#define TS_JOURNAL_H
#endif
