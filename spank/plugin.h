#ifndef TS_PLUGIN_H
#define TS_PLUGIN_H
#endif
