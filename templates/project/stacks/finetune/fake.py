{% include "stacks/transformers/fake.py" %}
