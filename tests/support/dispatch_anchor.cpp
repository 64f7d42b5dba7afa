// The test-dispatch library's own source (a static library needs one); the kernels come from
// the objects joule_enable_dispatch adds.
int joule_test_dispatch_anchor = 0;
