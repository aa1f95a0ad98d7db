"""From a Track to Signals: cleaning, smoothing, joint angles and the back's outline."""
