typedef int ccg_placeholder_store;
