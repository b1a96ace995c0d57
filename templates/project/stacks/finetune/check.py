{% include "stacks/transformers/check.py" %}
