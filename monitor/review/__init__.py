"""人工值守: people review what the machines flag, and their answers become training labels.

``labels`` records a reviewer's answer (a correction or a confirmation) as ``labels`` rows;
``queue`` lists the flagged mentions nobody has reviewed yet.
"""
