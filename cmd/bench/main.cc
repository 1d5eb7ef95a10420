// PLACEHOLDER: aegisr-bench entry point (being written).
int main() { return 0; }
