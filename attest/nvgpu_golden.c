typedef int ccg_placeholder_golden;
