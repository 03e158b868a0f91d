/* Calls laid out as OlClient writes them, and near misses: the texts that
 * tests/malformed_test.c sends both as written and with a space after the
 * first brace, and that tests/decode_test.c gives both decoders. */
#pragma once

static const char *const tt_call_layouts[] = {
    "{\"v\":1,\"id\":5,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2]}",
    "{\"v\":1,\"id\":5,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1],"
    "\"kwargs\":{\"b\":5}}",
    "{\"v\":1,\"id\":5,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\","
    "\"kwargs\":{\"b\":5,\"a\":-1}}",
    "{\"v\":1,\"id\":6,\"op\":\"call\",\"object\":\"calc\",\"method\":\"nope\"}",
    "{\"v\":1,\"id\":6,\"op\":\"call\",\"object\":\"calx\",\"method\":\"add\"}",
    "{\"v\":1,\"id\":7,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[\"x\",2]}",
    "{\"v\":1,\"id\":7,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2],"
    "\"kwargs\":{\"b\":1}}",
    "{\"v\":1,\"id\":7,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\","
    "\"kwargs\":{\"a\":1,\"a\":2}}",
    "{\"v\":1,\"id\":8,\"op\":\"call\",\"method\":\"add\",\"args\":[1,2]}",
    "{\"v\":1,\"id\":0,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2]}",
    "{\"v\":1,\"id\":01,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2]}",
    "{\"v\":1,\"id\":123456789012345678,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\","
    "\"args\":[1,2]}",
    "{\"v\":1,\"id\":1234567890123456789,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\","
    "\"args\":[1,2]}",
    "{\"v\":1,\"id\":9,\"op\":\"call\",\"ts\":true,\"object\":\"calc\",\"method\":\"add\","
    "\"args\":[2,2]}",
    "{\"v\":1,\"id\":10,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2]}x",
    "{\"v\":1,\"id\":10,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2]",
    "{\"v\":1,\"id\":11,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2],"
    "\"extra\":1}",
    "{\"v\":1,\"id\":12,\"op\":\"call\",\"object\":\"ca\\u006cc\",\"method\":\"add\",\"args\":[1,2]}",
    "{\"v\":1,\"id\":13,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":\"[1,2]\"}",
    "{\"v\":1,\"id\":14,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":null}",
    "{\"v\":1,\"id\":15,\"op\":\"call\",\"object\":\"calc\",\"method\":\"\xff\",\"args\":[1,2]}",
    "{\"v\":1,\"id\":16,\"op\":\"call\",\"object\":\"calc\",\"method\":\"add\",\"args\":[1,2],"
    "\"kwargs\":[]}",
};
