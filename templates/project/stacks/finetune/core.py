{% include "stacks/transformers/core.py" %}
